"""One way to run any model the tools use, whatever its kind: a ReID model or a detector is described by a
:class:`ModelKind` (how to export it, how dygraph calls it, when two runs of it agree), and
:func:`build_runtime` / :func:`run_exported` choose the backend and precision the options ask for, with the
first-call checks against paddle fp32, the fall-backs and, for ``auto``, the race of the runtimes on the first input
(:mod:`.choice`), once for both.
"""

import functools
import logging
import tempfile


from ..errors import ConversionError
from .backends import DygraphBackend, OnnxRuntimeBackend, PaddleInferenceBackend
from .choice import Race, RuntimeChoices
from .first_call import CheckedOnFirstCall, cpu_supports_bf16
from .onnx_models import cache_dir, int8_model, model_digest, onnx_model

logger = logging.getLogger(__name__)

__all__ = ['ModelKind', 'build_runtime', 'run_exported']

class ModelKind:
    """What the runtime needs to know of one kind of model.

    Attributes:
        name (str): the model, for the log.
        backend_key, precision_key (str): its runtime keys in :class:`~.options.RuntimeOptions`.
        delete_passes (tuple[str]): paddle.inference passes to leave out for it on oneDNN.
    """

    name = 'model'
    backend_key = precision_key = None
    delete_passes = ()

    def export(self, layer, folder):
        """Save ``layer`` as a static inference model in ``folder``."""
        raise NotImplementedError

    def dygraph_call(self, layer, inputs):
        """Outputs (list of tensors) of ``layer`` for an inputs dict of tensors."""
        raise NotImplementedError

    def agree(self, fast, reference, precision='fp32'):
        """(bool, a few words): whether ``fast``'s outputs (a faster path at ``precision``: 'fp32', 'bf16' or
        'int8') may stand for ``reference``'s (fp32)."""
        raise NotImplementedError

    def calibration(self, options):
        """Inputs dicts that calibrate int8, or None if this kind is not quantized."""
        return None


def build_runtime(kind, layer, options):
    """``layer`` (weights loaded) as the options' backend and precision for ``kind`` say: inputs dict -> list of
    outputs. Exported models go to a temporary folder, gone once the runtime has loaded them."""
    backend = options.backend(kind.backend_key)
    if backend == 'dygraph':
        logger.info("{} runs in dygraph (the paddle layer itself)".format(kind.name))
        return DygraphBackend(layer, kind.dygraph_call)
    with tempfile.TemporaryDirectory(prefix='ppdet_deepsort_') as folder:
        kind.export(layer, folder)
        return run_exported(kind, folder, options)


def run_exported(kind, model_dir, options, mkldnn=True):
    """The model exported in ``model_dir`` on the options' backend (not dygraph) and precision for ``kind``.

    ``onnxruntime`` converts it (cached), checks it against paddle.inference fp32 on the first call, and falls
    back to paddle.inference with one warning if it cannot be converted. ``auto`` (on the CPU) runs the one of the
    two measured fastest (:mod:`.choice`). ``mkldnn`` False runs paddle.inference without oneDNN (fp32 only).
    """
    backend, precision = options.backend(kind.backend_key), getattr(options, kind.precision_key)
    if backend == 'auto':
        return _fastest(kind, model_dir, precision, options, mkldnn)
    if backend == 'onnxruntime':
        model = _onnx_runtime(kind, model_dir, precision, options)
        if model is not None:
            return model
        backend = 'inference'
    return _paddle_inference(kind, model_dir, precision, options, backend == 'tensorrt', mkldnn)


def _paddle_inference(kind, model_dir, precision, options, tensorrt, mkldnn):
    device = options.device
    if tensorrt and device == 'CPU':
        logger.warning("TensorRT needs the GPU; running {} with paddle.inference on the CPU".format(kind.name))
        tensorrt = False
    native_bf16 = device == 'CPU' and mkldnn and cpu_supports_bf16()
    if precision == 'fp16' and not tensorrt:
        precision = 'fp32'
    elif precision in ('auto', 'bf16') and native_bf16:
        precision = 'bf16?'  # checked against fp32 on the first input
    elif precision in ('bf16', 'int8'):
        logger.warning("{}: {} {}; using fp32".format(kind.name, precision, 'runs on ONNX Runtime' if precision ==
                                                      'int8' else 'needs a CPU with native bfloat16 and oneDNN'))
        precision = 'fp32'
    elif precision == 'auto':
        precision = 'fp32'

    def predictor(kind_of_float):
        passes = kind.delete_passes if mkldnn and device == 'CPU' else ()
        return PaddleInferenceBackend(model_dir, device, mkldnn, kind_of_float, options.threads, passes, tensorrt)

    if precision == 'bf16?':
        try:
            bf16 = predictor('bf16')
        except (ValueError, RuntimeError) as e:  # paddle's bf16 passes break some graphs (PicoDet's head)
            logger.warning("{}: paddle.inference cannot build it in bf16 ({}); using fp32".format(
                kind.name, str(e).strip().splitlines()[0][:200]))
            precision, bf16 = 'fp32', None
    if precision == 'bf16?':
        model = CheckedOnFirstCall(bf16, predictor('fp32'), functools.partial(kind.agree, precision='bf16'),
                                   kind.name, ('bf16', 'fp32'))
    else:
        model = predictor(precision)
    logger.info("{} runs with paddle.inference on {} ({}{})".format(
        kind.name, device, 'bf16 if it agrees with fp32 on the first input' if precision == 'bf16?' else precision,
        (', oneDNN' if mkldnn else '') if device == 'CPU' else ', TensorRT' if tensorrt else ''))
    return model


def _fastest(kind, model_dir, precision, options, mkldnn):
    """paddle.inference or ONNX Runtime fp32, whichever this machine ran ``kind`` faster: remembered from an earlier
    run, or raced on the first input."""
    choices = RuntimeChoices(cache_dir(options.model_cache_dir), model_digest(model_dir), precision, options.threads)
    candidates = {'paddle.inference': lambda: _paddle_inference(kind, model_dir, precision, options, False, mkldnn),
                  'ONNX Runtime': lambda: _onnx_runtime(kind, model_dir, 'fp32', options)}
    remembered = choices.remembered()
    if remembered in candidates:
        model = candidates[remembered]()
        if model is not None:
            logger.info("{} runs on the runtime measured fastest here: {} (remembered in {})".format(
                kind.name, remembered, choices.path))
            return model
    built = {label: make() for label, make in candidates.items()}
    return Race({label: model for label, model in built.items() if model is not None}, kind.name, choices)


def _onnx_runtime(kind, model_dir, precision, options):
    cache = cache_dir(options.model_cache_dir)
    load = functools.partial(OnnxRuntimeBackend, cpu_threads=options.threads)
    try:
        fast, path, converted = onnx_model(model_dir, cache, load)
    except ConversionError as e:
        logger.warning("{}: paddle2onnx could not convert it ({}); running it with paddle.inference".format(
            kind.name, e))
        return None
    logger.info("{} runs on ONNX Runtime, CPU, {} threads ({} {})".format(
        kind.name, options.threads or 'all', 'converted with paddle2onnx to' if converted else 'cached',
        path))
    if precision == 'bf16':
        logger.warning("{}: bf16 is paddle.inference's (reid_backend: inference); ONNX Runtime runs fp32".format(
            kind.name))
    reference = PaddleInferenceBackend(model_dir, 'CPU', True, 'fp32', options.threads, kind.delete_passes)
    model = CheckedOnFirstCall(fast, reference, kind.agree, kind.name, ('ONNX Runtime fp32', 'paddle fp32'))
    if precision == 'int8':
        int8 = _int8(kind, path, options, cache, load)
        if int8 is not None:
            model = CheckedOnFirstCall(int8, model, functools.partial(kind.agree, precision='int8'), kind.name,
                                       ('int8', 'fp32'))
    return model


def _int8(kind, fp32_path, options, cache, load):
    """The int8 session, or None where it is refused (no calibration inputs, or quantization failed)."""
    try:
        calibration = kind.calibration(options)
    except (OSError, ValueError) as e:
        calibration = None
        reason = str(e)
    else:
        reason = 'this kind of model is not quantized'
    if calibration is None:
        logger.warning("{}: int8 needs calibration crops ({}); using fp32".format(kind.name, reason))
        return None
    try:
        int8, path, made = int8_model(fp32_path, calibration, cache, load)
    except ConversionError as e:
        logger.warning("{}: {}; using fp32".format(kind.name, e))
        return None
    logger.info("{}: int8 {} {}".format(kind.name, 'quantized to' if made else 'cached', path))
    return int8
