"""Writing an export folder: the traced network, its bundle (``infer_cfg.yml``) and, when asked, ``model.onnx``. The
folder is replaced only once paddle.inference loads the new export, so a failed export leaves the old one."""

import logging
import os
import shutil
import tempfile

import paddle

from ..errors import ConfigError, ConversionError
from ..inference.backends import OnnxRuntimeBackend, PaddleInferenceBackend, model_files
from ..inference.onnx_models import cache_dir, onnx_model

logger = logging.getLogger(__name__)

__all__ = ['write_export']


def write_export(out, trace, bundle, what, onnx_cache=None):
    """Export to the folder ``out``: ``trace(folder)`` writes the network (:mod:`.tracing`), ``bundle`` its
    ``infer_cfg.yml`` (:mod:`.bundle`); ``what`` names it in the log. ``onnx_cache``: also write ``model.onnx``
    (converted with paddle2onnx as the tools convert it, kept in this cache folder; '' for the default one)."""
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent, prefix='.export_') as scratch:
        trace(scratch)
        bundle.write(scratch)
        try:  # paddle 3.3 writes some control flow (e.g. PP-YOLOE's post-process) that it cannot read back
            PaddleInferenceBackend(scratch, mkldnn=False)
        except RuntimeError as e:
            raise ConfigError("the exported model cannot be loaded by paddle.inference on paddle {} ({}); run this "
                              "detector from its config with tools/infer_mot.py instead".format(
                                  paddle.__version__, str(e).strip().splitlines()[0])) from None
        if onnx_cache is not None:
            _write_onnx(scratch, onnx_cache)
        if os.path.isdir(out):
            shutil.rmtree(out)
        os.rename(scratch, out)
        os.chmod(out, 0o755)  # TemporaryDirectory made it private
        os.makedirs(scratch)  # for the TemporaryDirectory cleanup
    program, params = model_files(out)
    logger.info("Exported {} to {}: {}, {}, infer_cfg.yml{}".format(what, out, os.path.basename(program),
                                                                    os.path.basename(params),
                                                                    ', model.onnx' if onnx_cache is not None else ''))


def _write_onnx(folder, cache):
    """``model.onnx`` beside the paddle export in ``folder``, converted (or taken from the cache) as the tools'
    ``onnxruntime`` backend converts it."""
    try:
        _, path, _ = onnx_model(folder, cache_dir(cache or None), OnnxRuntimeBackend)
    except ConversionError as e:
        raise ConversionError("--onnx: {}".format(e)) from None
    shutil.copyfile(path, os.path.join(folder, 'model.onnx'))
