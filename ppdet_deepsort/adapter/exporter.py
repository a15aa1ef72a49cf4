"""A config's model exported for deployment, as PaddleDetection's tools/export_model.py exports it, on paddle 3.x
(where ppdet 2.6's ``Trainer.export`` fails for every model: "Can't call main_program when full_graph=False").

A DeepSORT config exports its ReID model (input 'crops', [None, 3, h, w] from the tracker's ``input_size``
[w, h]; ``infer_cfg.yml`` holds the crop preprocessing and the tracker's whole section, whatever its name); any
other config exports its detector (input 'image' and what its post-process reads; ``infer_cfg.yml`` holds
ppdet's keys, whether the boxes are scaled, and the detection filter). The project's tools/export_model.py and,
through :mod:`.engine_changes`, PaddleDetection's own call :func:`export_model` with the layer their own weight
loaders filled.
"""

import logging
import os
import shutil
import tempfile

import paddle

from ..export.tracing import export_detector, export_reid
from ..errors import ConfigError, ConversionError
from ..inference import RuntimeOptions
from ..inference.backends import OnnxRuntimeBackend, PaddleInferenceBackend, model_files
from ..inference.detector import input_shape
from ..inference.onnx_models import cache_dir, onnx_model
from ..reid.crops import IMAGENET_MEAN, IMAGENET_STD
from .builders import detector_boxes
from .config import component_args
from .infer_cfg import write_detector_infer_cfg, write_reid_infer_cfg

logger = logging.getLogger(__name__)

__all__ = ['export_model', 'exports_reid']


def exports_reid(cfg):
    """Whether the config exports a ReID model (a DeepSORT config) rather than a detector."""
    return cfg.get('architecture') == 'DeepSORT' and isinstance(cfg.get('DeepSORT'), dict)


def export_model(cfg, layer, out, scaled_flag=None, onnx=False):
    """Export ``layer`` (with its weights loaded: the config's ReID model if :func:`exports_reid`, else its detector)
    with its ``infer_cfg.yml`` to the folder ``out``, which is replaced only once paddle.inference loads the new
    export. ``scaled_flag`` is the user's --scaled, checked against the detector's post-process. ``onnx`` also
    writes ``model.onnx`` (paddle2onnx, as the tools convert it), once ONNX Runtime loads it."""
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent, prefix='.export_') as scratch:
        what = _export_reid(cfg, layer, scratch) if exports_reid(cfg) else _export_detector(cfg, layer, scratch,
                                                                                           scaled_flag)
        try:  # paddle 3.3 writes some control flow (e.g. PP-YOLOE's post-process) that it cannot read back
            PaddleInferenceBackend(scratch, mkldnn=False)
        except RuntimeError as e:
            raise ConfigError("the exported model cannot be loaded by paddle.inference on paddle {} ({}); run this "
                              "detector from its config with tools/infer_mot.py instead".format(
                                  paddle.__version__, str(e).strip().splitlines()[0])) from None
        if onnx:
            _write_onnx(cfg, scratch)
        if os.path.isdir(out):
            shutil.rmtree(out)
        os.rename(scratch, out)
        os.chmod(out, 0o755)  # TemporaryDirectory made it private
        os.makedirs(scratch)  # for the TemporaryDirectory cleanup
    program, params = model_files(out)
    logger.info("Exported {} to {}: {}, {}, infer_cfg.yml{}".format(what, out, os.path.basename(program),
                                                                    os.path.basename(params),
                                                                    ', model.onnx' if onnx else ''))


def _write_onnx(cfg, folder):
    """``model.onnx`` beside the paddle export in ``folder``, converted (or taken from the cache) as the tools'
    ``onnxruntime`` backend converts it."""
    try:
        _, path, _ = onnx_model(folder, cache_dir(RuntimeOptions.from_config(cfg).model_cache_dir),
                                OnnxRuntimeBackend)
    except ConversionError as e:
        raise ConversionError("--onnx: {}".format(e)) from None
    shutil.copyfile(path, os.path.join(folder, 'model.onnx'))


def _export_reid(cfg, layer, out):
    reid_name = cfg['DeepSORT'].get('reid')
    if layer is None or reid_name in (None, 'None'):
        raise ConfigError("DeepSORT.reid is None: this config has no ReID model to export (export a detector from "
                          "its own config, e.g. jde_yolov3_darknet53_30e_1088x608.yml)")
    tracker_name = cfg['DeepSORT'].get('tracker')
    tracker_args = component_args(tracker_name, 'DeepSORT.tracker')
    width, height = tracker_args['input_size']
    export_reid(layer, [width, height], out)
    write_reid_infer_cfg(out, reid_name, tracker_name, tracker_args, IMAGENET_MEAN, IMAGENET_STD)
    return "{} (input 'crops' [None, 3, {}, {}])".format(reid_name, height, width)


def _export_detector(cfg, layer, out, scaled_flag):
    name = cfg['architecture']
    reader = cfg.get('TestReader') or cfg.get('TestMOTReader')
    if not isinstance(reader, dict) or 'sample_transforms' not in reader:
        raise ConfigError("TestReader: the detector's sample_transforms are needed for its infer_cfg.yml")
    scaled, threshold, class_ids = detector_boxes(cfg, name, scaled_flag)
    shape = input_shape(reader)
    export_detector(layer, shape, out)
    write_detector_infer_cfg(out, name, cfg.get('metric', 'COCO'), reader['sample_transforms'], scaled, threshold,
                             class_ids)
    return "{} (input 'image' [None, {}, {}, {}], boxes {})".format(name, *shape, 'rescaled' if scaled else
                                                                    'letterboxed')
