"""A config's model exported for deployment, as PaddleDetection's tools/export_model.py exports it, on paddle 3.x
(where ppdet 2.6's ``Trainer.export`` fails for every model: "Can't call main_program when full_graph=False").

A DeepSORT config exports its ReID model (input 'crops', [None, 3, h, w] from the tracker's ``input_size``
[w, h]; its bundle holds the crop preprocessing and the tracker's whole section, whatever its name); any other config
exports its detector (input 'image' and what its post-process reads; its bundle holds ppdet's keys, whether the boxes
are scaled, and the detection filter). This module reads the config; tracing, the bundle and the writing are
:mod:`ppdet_deepsort.export`'s. The project's tools/export_model.py and, through :mod:`.engine_changes`,
PaddleDetection's own call :func:`export_model` with the layer their own weight loaders filled.
"""

from ppdet.data.source.category import get_categories
from ppdet.engine.export_utils import TRT_MIN_SUBGRAPH

from ..errors import ConfigError
from ..export.bundle import DetectorBundle, ReIDBundle
from ..export.tracing import export_detector, export_reid
from ..export.writer import write_export
from ..inference import RuntimeOptions
from ..inference.detector import input_shape
from ..reid.crops import IMAGENET_MEAN, IMAGENET_STD
from .builders import detector_boxes
from .config import component_args

__all__ = ['export_model', 'exports_reid']


def exports_reid(cfg):
    """Whether the config exports a ReID model (a DeepSORT config) rather than a detector."""
    return cfg.get('architecture') == 'DeepSORT' and isinstance(cfg.get('DeepSORT'), dict)


def export_model(cfg, layer, out, scaled_flag=None, onnx=False):
    """Export ``layer`` (with its weights loaded: the config's ReID model if :func:`exports_reid`, else its detector)
    with its ``infer_cfg.yml`` to the folder ``out``, which is replaced only once paddle.inference loads the new
    export. ``scaled_flag`` is the user's --scaled, checked against the detector's post-process. ``onnx`` also
    writes ``model.onnx`` (paddle2onnx, as the tools convert it), once ONNX Runtime loads it."""
    onnx_cache = (RuntimeOptions.from_config(cfg).model_cache_dir or '') if onnx else None
    trace, bundle, what = _reid(cfg, layer) if exports_reid(cfg) else _detector(cfg, layer, scaled_flag)
    write_export(out, trace, bundle, what, onnx_cache)


def _reid(cfg, layer):
    reid_name = cfg['DeepSORT'].get('reid')
    if layer is None or reid_name in (None, 'None'):
        raise ConfigError("DeepSORT.reid is None: this config has no ReID model to export (export a detector from "
                          "its own config, e.g. jde_yolov3_darknet53_30e_1088x608.yml)")
    tracker_name = cfg['DeepSORT'].get('tracker')
    tracker_args = component_args(tracker_name, 'DeepSORT.tracker')
    width, height = tracker_args['input_size']
    bundle = ReIDBundle(reid_name, [width, height], list(IMAGENET_MEAN), list(IMAGENET_STD), tracker_name,
                        tracker_args)
    return (lambda folder: export_reid(layer, [width, height], folder), bundle,
            "{} (input 'crops' [None, 3, {}, {}])".format(reid_name, height, width))


def _detector(cfg, layer, scaled_flag):
    name = cfg['architecture']
    reader = cfg.get('TestReader') or cfg.get('TestMOTReader')
    if not isinstance(reader, dict) or 'sample_transforms' not in reader:
        raise ConfigError("TestReader: the detector's sample_transforms are needed for its infer_cfg.yml")
    scaled, threshold, class_ids = detector_boxes(cfg, name, scaled_flag)
    shape = input_shape(reader)
    metric = cfg.get('metric', 'COCO')
    arch = next((known for known in TRT_MIN_SUBGRAPH if known in name), name)  # PaddleDetection's deploy keys
    bundle = DetectorBundle(reader['sample_transforms'], scaled, threshold, class_ids, arch, metric,
                            TRT_MIN_SUBGRAPH.get(arch, 3),
                            [str(label) for label in get_categories(metric, None, 'detection_arch')[1].values()])
    return (lambda folder: export_detector(layer, shape, folder), bundle,
            "{} (input 'image' [None, {}, {}, {}], boxes {})".format(name, *shape, 'rescaled' if scaled else
                                                                     'letterboxed'))
