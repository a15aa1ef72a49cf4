"""``paddle.inference`` predictors of exported models: on a CPU, oneDNN kernels and fused conv + batch
norm make them several times faster than dygraph."""

import os

from paddle import inference

__all__ = ['create_predictor', 'model_files', 'cpu_supports_bf16']


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


def create_predictor(model_dir, device='CPU', mkldnn=True, precision='fp32', cpu_threads=0):
    """A ``paddle.inference`` predictor of an exported model.

    Args:
        device (str): 'CPU' or 'GPU'.
        mkldnn (bool): oneDNN kernels on the CPU.
        precision (str): 'fp32' or 'bf16' (CPU with native bf16, oneDNN).
        cpu_threads (int): math library threads; 0 uses every core.
    """
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
    return inference.create_predictor(config)
