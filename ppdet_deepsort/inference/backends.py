"""The runtimes a model can run on, one interface for all: ``backend(inputs) -> [outputs]``, inputs a dict of
named float32 arrays, outputs a list of arrays in the model's order.

- :class:`DygraphBackend`: the paddle ``nn.Layer`` itself.
- :class:`PaddleInferenceBackend`: an exported model on ``paddle.inference`` (oneDNN on the CPU, CUDA and
  optionally TensorRT on the GPU).
- :class:`OnnxRuntimeBackend`: the same model converted to ONNX, on ONNX Runtime's CPU kernels; on AVX2 CPUs
  without bfloat16 several times faster than oneDNN at small batches (see benchmarks/benchmark_reid.py).
"""

import os

import numpy as np
import paddle
from paddle import inference

__all__ = ['DygraphBackend', 'PaddleInferenceBackend', 'OnnxRuntimeBackend', 'model_files']


def model_files(model_dir):
    """(program file, params file) of an exported model: paddle 3 writes ``.json``, paddle 2 ``.pdmodel``."""
    for ext in ('.json', '.pdmodel'):
        names = sorted(f for f in os.listdir(model_dir) if f.endswith(ext))
        if names:
            program = os.path.join(model_dir, names[0])
            params = program[:-len(ext)] + '.pdiparams'
            if not os.path.isfile(params):
                raise FileNotFoundError("{}: no {} beside {}".format(model_dir, os.path.basename(params), names[0]))
            return program, params
    raise FileNotFoundError("{}: no exported model (model.json or model.pdmodel with model.pdiparams)".format(
        model_dir))


class DygraphBackend:
    """A paddle ``nn.Layer`` in eval mode, without grads.

    Args:
        layer (nn.Layer): the model.
        call (callable): (layer, dict of paddle tensors) -> list of paddle tensors: how this kind of model is
            called (a ReID layer takes its crops, a ppdet detector its inputs dict).
    """

    def __init__(self, layer, call):
        self.layer, self._call = layer, call
        self.layer.eval()

    def __call__(self, inputs):
        with paddle.no_grad():
            outputs = self._call(self.layer, {k: paddle.to_tensor(v) for k, v in inputs.items()})
        return [out.numpy() for out in outputs]


class PaddleInferenceBackend:
    """An exported model on a ``paddle.inference`` predictor.

    Args:
        model_dir (str): the folder :func:`model_files` reads.
        device (str): 'CPU' or 'GPU'.
        mkldnn (bool): oneDNN kernels on the CPU.
        precision (str): 'fp32' or 'bf16' (CPU with native bf16, oneDNN); with TensorRT 'fp32' or 'fp16'.
        cpu_threads (int): math library threads; 0 uses every core.
        delete_passes (tuple[str]): optimization passes to leave out.
        tensorrt (bool): on the GPU, run what TensorRT supports through it.
    """

    def __init__(self, model_dir, device='CPU', mkldnn=True, precision='fp32', cpu_threads=0, delete_passes=(),
                 tensorrt=False):
        program, params = model_files(model_dir)
        config = inference.Config(program, params)
        if device.upper() == 'GPU':
            config.enable_use_gpu(200, 0)
            if tensorrt:
                config.enable_tensorrt_engine(
                    workspace_size=1 << 30, max_batch_size=1, min_subgraph_size=3, use_static=False,
                    use_calib_mode=False, precision_mode=inference.PrecisionType.Half if precision == 'fp16'
                    else inference.PrecisionType.Float32)
        else:
            config.disable_gpu()
            config.set_cpu_math_library_num_threads(cpu_threads or os.cpu_count() or 1)
            if mkldnn:
                config.enable_mkldnn()
                if precision == 'bf16':
                    config.enable_mkldnn_bfloat16()
            else:
                config.disable_mkldnn()
        config.switch_ir_optim(True)
        for name in delete_passes:
            config.delete_pass(name)
        config.disable_glog_info()
        self._predictor = inference.create_predictor(config)
        self.input_names = self._predictor.get_input_names()

    def __call__(self, inputs):
        for name in self.input_names:
            handle = self._predictor.get_input_handle(name)
            handle.reshape(inputs[name].shape)
            handle.copy_from_cpu(np.ascontiguousarray(inputs[name]))
        self._predictor.run()
        return [self._predictor.get_output_handle(n).copy_to_cpu() for n in self._predictor.get_output_names()]


class OnnxRuntimeBackend:
    """An ONNX model on ONNX Runtime's CPU execution provider, all graph optimizations on.

    Args:
        path (str): the ``.onnx`` file.
        cpu_threads (int): intra-op threads; 0 uses every core.
    """

    def __init__(self, path, cpu_threads=0):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = cpu_threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # its warnings are about initializers it prunes
        options.add_session_config_entry('session.intra_op.allow_spinning', '0')
        self._session = onnxruntime.InferenceSession(path, options, providers=['CPUExecutionProvider'])
        self.input_names = [i.name for i in self._session.get_inputs()]

    def __call__(self, inputs):
        return self._session.run(None, {name: np.ascontiguousarray(inputs[name], np.float32)
                                        for name in self.input_names})
