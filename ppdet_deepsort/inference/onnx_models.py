"""Exported paddle models as ONNX files, converted with paddle2onnx (and quantized to int8 with ONNX Runtime's
static quantization), cached by what they are made from so that a second run converts nothing.

The cache key is a hash of the exported program and parameters (the weights, the input size and every
attribute the graph holds, NMS thresholds included; not the names paddle numbers anew at each export) and of
the converter's version: a changed model or
converter gives a new file, never a stale one. Files are written atomically; a file ONNX Runtime cannot load
is converted again.
"""

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import subprocess
import sys


from ..errors import ConversionError
from ..utils.atomic import atomic_write
from .backends import model_files

logger = logging.getLogger(__name__)

__all__ = ['cache_dir', 'model_digest', 'onnx_model', 'int8_model']

OPSET = 17


def cache_dir(configured=None):
    """Where converted models are kept: the config's ``model_cache_dir``, else $PPDET_DEEPSORT_CACHE, else
    ~/.cache/ppdet_deepsort."""
    return os.path.expanduser(configured or os.environ.get('PPDET_DEEPSORT_CACHE') or '~/.cache/ppdet_deepsort')


def model_digest(model_dir):
    """What the model exported in ``model_dir`` is (weights, input size, attributes), the same for every export of
    it."""
    return _digest(*model_files(model_dir))


def _digest(program, params, *extra):
    """What the exported model is: its parameters and its program without the names that differ from one export
    of the same model to the next (paddle numbers the copies of parameters and the layers' struct names)."""
    h = hashlib.sha256()
    with open(params, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    with open(program, 'rb') as f:
        text = f.read().decode('utf-8', 'replace')
    text = re.sub(r'_deepcopy_\d+', '', text)
    h.update(re.sub(r',?\{"AT":\{"#":"0\.a_str","D":"[^"]*"\},"N":"struct_name"\}', '', text).encode())
    for item in extra:
        h.update(repr(item).encode())
    return h.hexdigest()[:24]


def _converter_version():
    import paddle2onnx
    return paddle2onnx.__version__


def onnx_model(model_dir, cache, load):
    """The ONNX model of the export in ``model_dir``, from the cache folder ``cache`` or converted now, loaded
    by ``load`` (path -> runtime, e.g. an ONNX Runtime session). Each file is loaded once: a cached file that does
    not load is removed and converted again.

    Returns:
        (runtime, path, converted): ``converted`` is False when the file came from the cache.

    Raises:
        ConversionError: paddle2onnx failed, with its reason, or ONNX Runtime cannot load what it wrote.
    """
    program, params = model_files(model_dir)
    try:
        version = _converter_version()
    except ImportError as e:
        raise ConversionError("paddle2onnx is not installed ({})".format(e)) from None
    path = os.path.join(cache, _digest(program, params, version, OPSET), 'model.onnx')
    runtime = _load_cached(path, load)
    if runtime is not None:
        return runtime, path, False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    scratch = '{}.{}.tmp'.format(path, os.getpid())
    try:
        _convert_in_child(program, params, scratch)
        os.replace(scratch, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(scratch)
    return _load_made(path, load, "what paddle2onnx {} wrote for {}".format(version, program)), path, True


def _convert_in_child(program, params, out):
    """paddle2onnx in a child process: on an operator it cannot convert it aborts its process (SIGABRT)."""
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([package_root] + [p for p in [os.environ.get('PYTHONPATH')]
                                                                          if p]))
    proc = subprocess.run([sys.executable, '-m', __name__, program, params, out], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=env)
    if proc.returncode != 0:
        lines = [line.strip() for line in proc.stdout.splitlines()]
        errors = ([line for line in lines if '[ERROR][Paddle2ONNX]' in line or 'not supported' in line.lower()]
                  or [line for line in lines if 'Error' in line or 'ERROR' in line])
        raise ConversionError(' '.join(errors[-3:])[:300] or 'paddle2onnx exited with code {}'.format(proc.returncode))


def _convert(program, params, out):
    """The child's work: the converted model, with its slopes fixed, written to ``out``."""
    import paddle2onnx

    # Without a file name paddle2onnx returns the model and skips its Polygraphy folding, which would pip
    # install packages at run time; ONNX Runtime folds constants itself when it loads the model.
    data = paddle2onnx.export(program, params, None, opset_version=OPSET, enable_onnx_checker=True)
    if not data:
        raise SystemExit("ERROR: paddle2onnx returned no model")
    with open(out, 'wb') as f:
        f.write(_fixed_leaky_relu_slopes(program, data))


def int8_model(fp32_path, calibration, cache, load):
    """The int8 (static, QDQ, per-channel weights) quantization of the ONNX model ``fp32_path``, calibrated
    on ``calibration`` (a list of inputs dicts), from the cache or made now, loaded by ``load`` as in
    :func:`onnx_model`.

    Returns:
        (runtime, path, made): ``made`` is False when the file came from the cache.
    """
    import numpy as np
    digest = hashlib.sha256()
    for inputs in calibration:
        for name in sorted(inputs):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(inputs[name], np.float32).tobytes())
    path = os.path.join(os.path.dirname(fp32_path), 'int8-{}.onnx'.format(digest.hexdigest()[:16]))
    runtime = _load_cached(path, load)
    if runtime is not None:
        return runtime, path, False
    scratch, prepared = path + '.making.onnx', path + '.prepared.onnx'
    try:
        # Inside the try: onnxruntime.quantization imports onnx and ml_dtypes, which onnxruntime does not
        # declare; a missing one refuses int8 like any other quantization failure.
        import onnxruntime
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process

        onnxruntime.set_default_logger_severity(3)  # the quantizer's sessions warn of every initializer they prune

        class Reader(CalibrationDataReader):
            def __init__(self):
                self._items = iter(calibration)

            def get_next(self):
                return next(self._items, None)

        with _quiet_converter():
            # Batch norm folded into the convolutions first, as ONNX Runtime advises: quantizing the unfolded
            # graph measured a min cosine of 0.88 to fp32 on the sample's crops, the folded one 0.98.
            quant_pre_process(fp32_path, prepared, skip_symbolic_shape=True)
            # U8 activations with S8 weights are what ONNX Runtime's CPU kernels run fastest; reduce_range keeps
            # the weights to 7 bits so that AVX2's 16-bit accumulation (no VNNI) cannot saturate.
            quantize_static(prepared, scratch, Reader(), quant_format=QuantFormat.QDQ,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                            reduce_range=True)
        with open(scratch, 'rb') as src, atomic_write(path, 'wb') as dst:
            dst.write(src.read())
    except Exception as e:
        raise ConversionError("int8 quantization failed: {}".format(_first_line(e))) from None
    finally:
        for leftover in (scratch, prepared, scratch + '.data', os.path.splitext(scratch)[0] + '-augmented.onnx'):
            with contextlib.suppress(FileNotFoundError):
                os.remove(leftover)
    return _load_made(path, load, 'the int8 model'), path, True


def _load_cached(path, load):
    """``load(path)`` if the cache holds a file there that loads, else None; a file that does not load is
    removed."""
    if not os.path.isfile(path):
        return None
    try:
        return load(path)
    except Exception as e:  # ONNX Runtime raises its own Fail / InvalidGraph / ... on a broken file
        logger.warning("{}: ONNX Runtime cannot load it ({}); converting again".format(path, _first_line(e)))
        os.remove(path)
        return None


def _load_made(path, load, what):
    try:
        return load(path)
    except Exception as e:
        raise ConversionError("ONNX Runtime cannot load {} ({})".format(what, _first_line(e))) from None


def _fixed_leaky_relu_slopes(program, data):
    """paddle2onnx 2.1 reads paddle 3's ``leaky_relu`` slope, a float64 attribute, as a float32 and writes a
    denormal (2.5e-43 for 0.1), so DarkNet-53 would run as plain ReLU. The slopes are set again from the
    paddle program, in order; any other mismatch is left to the first-call check against paddle."""
    import onnx

    slopes = []

    def walk(node):
        if isinstance(node, dict):
            if node.get('#', '').endswith('.leaky_relu'):
                slopes.extend(a['AT']['D'] for a in node.get('A', []) if a.get('N') == 'negative_slope')
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    if not program.endswith('.json'):
        return data
    with open(program) as f:
        walk(json.load(f))
    model = onnx.load_from_string(data)
    nodes = [n for n in model.graph.node if n.op_type == 'LeakyRelu']
    if not nodes or len(nodes) != len(slopes):
        return data
    for node, slope in zip(nodes, slopes):
        for attribute in node.attribute:
            if attribute.name == 'alpha':
                attribute.f = float(slope)
    return model.SerializeToString()


@contextlib.contextmanager
def _quiet_converter():
    """paddle2onnx prints progress on stdout, which the tools keep for their results, and the quantizer logs a
    warning per batch-norm bias through the root logger; what matters is raised."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        root.setLevel(level)


def _first_line(error):
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:300]


if __name__ == '__main__':
    _convert(*sys.argv[1:4])
