"""Running an exported ReID model with ``paddle.inference``: on a CPU, oneDNN kernels and fused
conv + batch norm make it several times faster than dygraph."""

import os

import numpy as np
from paddle import inference

__all__ = ['InferenceReID', 'model_files', 'cpu_supports_bf16']


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
    raise FileNotFoundError("{}: no exported model (model.json or model.pdmodel with model.pdiparams)".format(model_dir))


def cpu_supports_bf16():
    """Whether this CPU has native bfloat16 instructions (AVX512-BF16 or AMX): only then is bf16 faster."""
    try:
        with open('/proc/cpuinfo') as f:
            flags = f.read()
    except OSError:
        return False
    return 'avx512_bf16' in flags or 'amx_bf16' in flags


class InferenceReID:
    """An exported ReID model run by a ``paddle.inference`` predictor.

    Args:
        model_dir (str): folder of the exported model.
        device (str): 'CPU' or 'GPU'.
        mkldnn (bool): use oneDNN kernels on the CPU.
        precision (str): 'fp32' or 'bf16' (CPU with native bf16 only).
        cpu_threads (int): math library threads; 0 uses every core.
    """

    def __init__(self, model_dir, device='CPU', mkldnn=True, precision='fp32', cpu_threads=0):
        program, params = model_files(model_dir)
        config = inference.Config(program, params)
        if device.upper() == 'GPU':
            config.enable_use_gpu(200, 0)
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
        config.disable_glog_info()
        self._predictor = inference.create_predictor(config)
        self._input = self._predictor.get_input_handle(self._predictor.get_input_names()[0])
        self._output = self._predictor.get_output_handle(self._predictor.get_output_names()[0])

    def __call__(self, batch):
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        self._input.reshape(batch.shape)
        self._input.copy_from_cpu(batch)
        self._predictor.run()
        return self._output.copy_to_cpu()
