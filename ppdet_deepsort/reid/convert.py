"""Converting torchreid OSNet checkpoints to paddle state dicts, without PyTorch.

Two sources:

* ``.pth``: a PyTorch state dict (legacy pickle or zip format), read by a restricted unpickler that
  rebuilds tensors as NumPy arrays and refuses any class it does not expect (no code runs from the file).
  Names map one to one: BN ``running_mean/var`` become ``_mean/_variance``, Linear weights are transposed,
  the training-only ``classifier`` is dropped.
* ``.onnx``: an exported model, whose export folded each BatchNorm into the convolution before it. The
  folded (weight, bias) pairs are matched to the model's convolutions in execution order (shapes checked),
  and each folded BatchNorm is set to the identity plus that bias, which computes the same function.
"""

import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np
import paddle

from ..errors import ConversionError

__all__ = ['read_torch_state_dict', 'convert_torch_state_dict', 'convert_onnx',
           'convert_checkpoint']

_DTYPES = {'FloatStorage': np.float32, 'DoubleStorage': np.float64, 'HalfStorage': np.float16,
           'LongStorage': np.int64, 'IntStorage': np.int32, 'ShortStorage': np.int16, 'CharStorage': np.int8,
           'ByteStorage': np.uint8, 'BoolStorage': np.bool_}
_LEGACY_MAGIC = 0x1950a86a20f9469cfc6c


class _StorageType:
    def __init__(self, name):
        self.dtype = _DTYPES[name]


class _Storage:
    def __init__(self, dtype):
        self.dtype = dtype
        self.data = None  # filled once the raw bytes are read


class _Tensor:
    """A tensor whose storage bytes may come later in the file."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def numpy(self):
        data = self.storage.data
        itemsize = data.dtype.itemsize
        strides = [s * itemsize for s in self.stride]
        return np.lib.stride_tricks.as_strided(data[self.offset:], self.size, strides).copy()


def _rebuild_tensor(storage, offset, size, stride, *unused):
    return _Tensor(storage, offset, size, stride)


def _rebuild_parameter(tensor, *unused):
    return tensor


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, load_storage):
        super().__init__(file)
        self._load_storage = load_storage
        self.storages = {}

    def find_class(self, module, name):
        allowed = {('collections', 'OrderedDict'): collections.OrderedDict,
                   ('torch._utils', '_rebuild_tensor_v2'): _rebuild_tensor,
                   ('torch._utils', '_rebuild_tensor'): _rebuild_tensor,
                   ('torch._utils', '_rebuild_parameter'): _rebuild_parameter,
                   ('torch.nn.parameter', 'Parameter'): _rebuild_parameter}
        if (module, name) in allowed:
            return allowed[(module, name)]
        if module == 'torch' and name in _DTYPES:
            return _StorageType(name)
        raise ConversionError("unexpected object {}.{} in the checkpoint: not a plain state dict".format(module, name))

    def persistent_load(self, pid):
        _, storage_type, key, *_ = pid  # ('storage', type, key, location, size[, view])
        if key not in self.storages:
            self.storages[key] = _Storage(storage_type.dtype)
            self._load_storage(key, self.storages[key])
        return self.storages[key]


def read_torch_state_dict(path):
    """{name: ndarray} of a PyTorch checkpoint (a state dict, or a dict holding one as 'state_dict')."""
    try:
        if zipfile.is_zipfile(path):
            obj = _read_zip(path)
        else:
            obj = _read_legacy(path)
    except (pickle.UnpicklingError, EOFError, struct.error, KeyError) as e:
        raise ConversionError("{}: not a readable PyTorch checkpoint ({}: {})".format(path, type(e).__name__, e)) \
            from None
    if isinstance(obj, dict) and 'state_dict' in obj:
        obj = obj['state_dict']
    if not isinstance(obj, dict):
        raise ConversionError("{}: holds a {}, not a state dict".format(path, type(obj).__name__))
    return collections.OrderedDict((k[len('module.'):] if k.startswith('module.') else k,
                                    v.numpy() if isinstance(v, _Tensor) else np.asarray(v)) for k, v in obj.items())


def _read_legacy(path):
    with open(path, 'rb') as f:
        if pickle.load(f) != _LEGACY_MAGIC:
            raise pickle.UnpicklingError('no PyTorch magic number')
        pickle.load(f)  # protocol version
        pickle.load(f)  # sys info
        unpickler = _Unpickler(f, lambda key, storage: None)
        obj = unpickler.load()
        for key in pickle.load(f):  # raw storages follow, in this order
            storage = unpickler.storages[key]
            count, = struct.unpack('<q', f.read(8))
            raw = f.read(count * np.dtype(storage.dtype).itemsize)
            if len(raw) != count * np.dtype(storage.dtype).itemsize:
                raise EOFError('the file ends inside the tensor data')
            storage.data = np.frombuffer(raw, storage.dtype)
    return obj


def _read_zip(path):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        root = names[0].split('/')[0]

        def load(key, storage):
            storage.data = np.frombuffer(archive.read('{}/data/{}'.format(root, key)), storage.dtype)

        return _Unpickler(io.BytesIO(archive.read(root + '/data.pkl')), load).load()


def convert_torch_state_dict(torch_state, model):
    """Paddle state dict for ``model`` from a torchreid state dict, with every key and shape checked."""
    renamed = {}
    for key, value in torch_state.items():
        if key.startswith('classifier.') or key.endswith('num_batches_tracked'):
            continue  # training-only
        key = key.replace('running_mean', '_mean').replace('running_var', '_variance')
        renamed[key] = value
    target = model.state_dict()
    for key, param in target.items():
        if key in renamed and len(param.shape) == 2 and list(renamed[key].shape) == list(param.shape)[::-1]:
            renamed[key] = renamed[key].T  # Linear: torch (out, in), paddle (in, out)
    _check_fit(renamed, target)
    return {k: v.astype(np.float32) for k, v in renamed.items()}


def convert_onnx(path, model):
    """Paddle state dict for ``model`` from an ONNX export of the same architecture (see module doc)."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise ConversionError("reading .onnx needs the onnx package: pip install onnx") from None
    graph = onnx.load(path).graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    onnx_convs, seen = [], set()
    for node in graph.node:
        if node.op_type == 'Conv' and node.input[1] not in seen:
            seen.add(node.input[1])
            onnx_convs.append((init[node.input[1]], init[node.input[2]] if len(node.input) > 2 else None))

    convs = _convs_in_execution_order(model)
    if len(convs) != len(onnx_convs):
        raise ConversionError("{}: {} convolutions, the model has {}: not the same architecture".format(
            path, len(onnx_convs), len(convs)))
    target = model.state_dict()
    state = {}
    for (name, bn), (weight, bias) in zip(convs, onnx_convs):
        if list(weight.shape) != list(target[name + '.weight'].shape):
            raise ConversionError("{}: convolution {} has shape {}, the model's {} has {}".format(
                path, len(state), list(weight.shape), name, list(target[name + '.weight'].shape)))
        state[name + '.weight'] = weight
        if bn is None and bias is not None:
            state[name + '.bias'] = bias
        elif bn is not None:
            if bias is None:
                raise ConversionError("{}: expected the BatchNorm after {} folded into it".format(path, name))
            eps = 1e-5  # the model's BatchNorm epsilon: the identity needs variance + eps == 1
            state.update({bn + '.weight': np.ones_like(bias), bn + '.bias': bias, bn + '._mean': np.zeros_like(bias),
                          bn + '._variance': np.full_like(bias, 1 - eps)})
    # The head: Linear (Gemm) + BatchNorm1d keep their names in the export.
    for key in [k for k in target if k.startswith('fc.')]:
        source = key.replace('_mean', 'running_mean').replace('_variance', 'running_var')
        if source not in init:
            raise ConversionError("{}: no initializer {} for {}".format(path, source, key))
        value = init[source]
        state[key] = value.T if key == 'fc.0.weight' else value
    _check_fit(state, target)
    return {k: np.asarray(v, np.float32) for k, v in state.items()}


def _convs_in_execution_order(model):
    """[(conv layer name, name of the BatchNorm it feeds or None)] in the order a forward pass runs them."""
    names = {id(layer): name for name, layer in model.named_sublayers()}
    order = []
    hooks = [layer.register_forward_post_hook(lambda layer, inputs, output: order.append(names[id(layer)]))
             for layer in model.sublayers() if isinstance(layer, paddle.nn.Conv2D)]
    model.eval()
    with paddle.no_grad():
        model(paddle.zeros([1, 3, 256, 128]))
    for hook in hooks:
        hook.remove()
    bns = {name for name, layer in model.named_sublayers() if isinstance(layer, paddle.nn.BatchNorm2D)}
    result, seen = [], set()
    for name in order:
        if name in seen:
            continue  # the channel gate runs four times per block
        seen.add(name)
        parent, leaf = name.rsplit('.', 1)
        bn = parent + '.bn' if leaf in ('conv', 'conv2') and parent + '.bn' in bns else None
        result.append((name, bn))
    return result


def _check_fit(state, target):
    missing = sorted(set(target) - set(state))
    unexpected = sorted(set(state) - set(target))
    shapes = sorted(k for k in set(state) & set(target) if list(state[k].shape) != list(target[k].shape))
    if missing or unexpected or shapes:
        raise ConversionError("checkpoint does not fit the model: missing {}, unexpected {}, wrong shape {}".format(
            missing[:5], unexpected[:5], shapes[:5]))


def convert_checkpoint(src, dst, model):
    """Convert ``src`` (.pth or .onnx) for ``model`` and save it as ``dst`` (.pdparams)."""
    if not os.path.isfile(src):
        raise ConversionError("checkpoint not found: {}".format(src))
    if src.endswith('.onnx'):
        state = convert_onnx(src, model)
    else:
        state = convert_torch_state_dict(read_torch_state_dict(src), model)
    paddle.save({k: paddle.to_tensor(v) for k, v in state.items()}, dst)
    return state
