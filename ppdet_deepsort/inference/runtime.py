"""One way to run any model the tools use, whatever its kind: a ReID model or a detector is described by a
:class:`ModelKind` (how to export it, how dygraph calls it, when two runs of it agree), and
:func:`build_runtime` / :func:`run_exported` choose the backend and precision the options ask for, with the
first-call checks against paddle fp32 and the fall-backs, once for both.
"""

import contextlib
import functools
import json
import os
import tempfile
import time

import numpy as np

from ppdet.utils.logger import setup_logger

from ..errors import ConversionError
from ..utils.atomic import atomic_write
from .backends import DygraphBackend, OnnxRuntimeBackend, PaddleInferenceBackend
from .first_call import CheckedOnFirstCall, cpu_name, cpu_supports_bf16
from .onnx_models import cache_dir, int8_model, onnx_model

logger = setup_logger(__name__)

__all__ = ['ModelKind', 'build_runtime', 'run_exported']

INT8_MIN_SPEEDUP = 1.2  # 'auto' takes int8 only when it is at least this much faster than fp32 on this CPU


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
        """(bool, a few words): whether ``fast``'s outputs (a faster path at ``precision``: 'fp32', 'bf16', 'int8'
        asked for, or 'int8-auto': int8 that ``reid_precision: auto`` would choose) may stand for ``reference``'s
        (fp32)."""
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
    back to paddle.inference with one warning if it cannot be converted. ``mkldnn`` False runs paddle.inference
    without oneDNN (fp32 only).
    """
    backend, precision = options.backend(kind.backend_key), getattr(options, kind.precision_key)
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
    elif precision == 'auto':
        precision = 'bf16?' if native_bf16 else 'fp32'
    elif precision in ('bf16', 'int8') and not native_bf16:
        logger.warning("{}: {} {}; using fp32".format(kind.name, precision, 'runs on ONNX Runtime' if precision ==
                                                      'int8' else 'needs a CPU with native bfloat16 and oneDNN'))
        precision = 'fp32'

    def predictor(kind_of_float):
        passes = kind.delete_passes if mkldnn and device == 'CPU' else ()
        return PaddleInferenceBackend(model_dir, device, mkldnn, kind_of_float, options.threads, passes, tensorrt)

    if precision == 'bf16?':
        model = CheckedOnFirstCall(predictor('bf16'), predictor('fp32'),
                                   functools.partial(kind.agree, precision='bf16'), kind.name, ('bf16', 'fp32'))
    else:
        model = predictor(precision)
    logger.info("{} runs with paddle.inference on {} ({}{})".format(
        kind.name, device, 'bf16 if it agrees with fp32 on the first input' if precision == 'bf16?' else precision,
        (', oneDNN' if mkldnn else '') if device == 'CPU' else ', TensorRT' if tensorrt else ''))
    return model


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
    if precision in ('int8', 'auto'):
        int8 = _int8(kind, path, fast, precision, options, cache, load)
        if int8 is not None:
            floor = 'int8' if precision == 'int8' else 'int8-auto'
            model = CheckedOnFirstCall(int8, model, functools.partial(kind.agree, precision=floor), kind.name,
                                       ('int8', 'fp32'))
    return model


def _int8(kind, fp32_path, fp32, precision, options, cache, load):
    """The int8 session, or None where it is refused: no calibration, quantization failed, or for 'auto' not
    agreeing with fp32 on the calibration inputs by ``agree(precision='int8-auto')`` or not measured faster here.
    'auto' remembers its decision beside the fp32 model, per CPU, thread count, ONNX Runtime and calibration, so
    that later runs neither read the calibration inputs nor time the models again."""
    decision = _AutoDecision(fp32_path, options) if precision == 'auto' else None
    if decision is not None and decision.known:
        if decision.int8 is None:
            logger.info("{}: int8 was measured on this CPU before and not taken ({}): using fp32".format(
                kind.name, decision.reason))
            return None
        with contextlib.suppress(Exception):  # a cached file that is gone or broken is measured anew
            int8 = load(decision.int8)
            logger.info("{}: int8 (measured on this CPU before: {}) {}".format(kind.name, decision.reason,
                                                                            decision.int8))
            return int8
    try:
        calibration = kind.calibration(options)
    except (OSError, ValueError) as e:
        calibration = None
        reason = str(e)
    else:
        reason = 'this kind of model is not quantized'
    if calibration is None:
        if precision == 'int8':
            logger.warning("{}: int8 needs calibration crops ({}); using fp32".format(kind.name, reason))
        return None
    try:
        int8, path, made = int8_model(fp32_path, calibration, cache, load)
    except ConversionError as e:
        logger.warning("{}: {}; using fp32".format(kind.name, e))
        return None
    logger.info("{}: int8 {} {}".format(kind.name, 'quantized to' if made else 'cached', path))
    if decision is None:
        return int8
    agree, words = _agreement(kind, int8, fp32, calibration)
    if not agree:
        decision.save(None, 'differs from fp32 on the calibration inputs: {}'.format(words))
        logger.info("{}: int8 {}: using fp32".format(kind.name, decision.reason))
        return None
    speedup = _speedup(int8, fp32, calibration[0])
    if speedup < INT8_MIN_SPEEDUP:
        decision.save(None, "{:.2f}x fp32's speed, auto needs {}x".format(speedup, INT8_MIN_SPEEDUP))
        logger.info("{}: int8 runs {}: using fp32".format(kind.name, decision.reason))
        return None
    decision.save(path, "{:.2f}x fp32's speed, {}".format(speedup, words))
    logger.info("{}: int8 runs {}".format(kind.name, decision.reason))
    return int8


def _agreement(kind, int8, fp32, calibration):
    """``kind.agree`` at auto's floor over every calibration input at once."""
    ours, theirs = zip(*[(int8(inputs), fp32(inputs)) for inputs in calibration])
    stacked = [[np.concatenate([outputs[i] for outputs in run]) for i in range(len(run[0]))] for run in (ours, theirs)]
    return kind.agree(stacked[0], stacked[1], precision='int8-auto')


class _AutoDecision:
    """What 'auto' decided about an fp32 ONNX model's int8 twin on this machine, kept as JSON beside the model."""

    def __init__(self, fp32_path, options):
        import onnxruntime
        self._path = os.path.join(os.path.dirname(fp32_path), 'int8-auto.json')
        self._key = {'cpu': cpu_name(), 'threads': options.threads, 'onnxruntime': onnxruntime.__version__,
                     'calibration': os.path.abspath(options.reid_calibration)}
        self.known, self.int8, self.reason = False, None, ''
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            with open(self._path, encoding='utf-8') as f:
                stored = json.load(f)
            if stored['key'] == self._key:
                self.known, self.int8, self.reason = True, stored['int8'], stored['reason']

    def save(self, int8, reason):
        self.int8, self.reason = int8, reason
        with contextlib.suppress(OSError):  # a read-only cache only costs the measurement next time
            with atomic_write(self._path, 'w') as f:
                json.dump({'key': self._key, 'int8': int8, 'reason': reason}, f, indent=1)


def _speedup(fast, reference, inputs, repeats=3):
    """How many times faster ``fast`` runs ``inputs`` than ``reference``: the best of a few alternating runs
    each, after a warm-up, so that the machine's load affects both alike."""
    best = {id(fast): float('inf'), id(reference): float('inf')}
    for model in (fast, reference):
        model(inputs)
    for _ in range(repeats):
        for model in (fast, reference):
            start = time.perf_counter()
            model(inputs)
            best[id(model)] = min(best[id(model)], time.perf_counter() - start)
    return best[id(reference)] / best[id(fast)]
