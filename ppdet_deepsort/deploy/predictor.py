"""``paddle.inference`` predictors of exported models: on a CPU, oneDNN kernels and fused conv + batch
norm make them several times faster than dygraph."""

import os

from paddle import inference
from ppdet.utils.logger import setup_logger

logger = setup_logger(__name__)

__all__ = ['create_predictor', 'model_files', 'cpu_supports_bf16', 'resolve_precision', 'CheckedOnFirstCall']


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


def resolve_precision(precision, device, key):
    """What a precision key ('auto', 'fp32' or 'bf16') means on ``device``: 'fp32', 'bf16', or 'bf16?' (bf16
    where the CPU has it natively, kept only if it agrees with fp32 on the first call; see
    :class:`CheckedOnFirstCall`). bf16 without native support would only be slower."""
    native = device.upper() == 'CPU' and cpu_supports_bf16()
    if precision == 'auto':
        return 'bf16?' if native else 'fp32'
    if precision == 'bf16' and not native:
        logger.warning("{}: bf16 needs a CPU with native bfloat16 (AVX512-BF16/AMX); using fp32".format(key))
        return 'fp32'
    return precision


class CheckedOnFirstCall:
    """Runs ``fast`` (bf16) but checks it once, on the first real input, against ``reference`` (fp32), and
    keeps whichever is right.

    Args:
        agree (callable): (fast output, reference output) -> (bool, a few words on how close they are).
        name (str): the model, for the log.
    """

    def __init__(self, fast, reference, agree, name):
        self._fast, self._reference, self._agree, self._name = fast, reference, agree, name

    def __call__(self, inputs):
        if self._reference is None:
            return self._fast(inputs)
        fast, reference = self._fast(inputs), self._reference(inputs)
        agree, detail = self._agree(fast, reference)
        if agree:
            logger.info("{}: bf16 agrees with fp32 on the first input ({}): using bf16".format(self._name, detail))
            self._reference = None
            return fast
        logger.warning("{}: bf16 differs from fp32 on the first input ({}): using fp32".format(self._name, detail))
        self._fast, self._reference = self._reference, None
        return reference


def create_predictor(model_dir, device='CPU', mkldnn=True, precision='fp32', cpu_threads=0, delete_passes=(),
                     tensorrt=False):
    """A ``paddle.inference`` predictor of an exported model.

    Args:
        device (str): 'CPU' or 'GPU'.
        mkldnn (bool): oneDNN kernels on the CPU.
        precision (str): 'fp32' or 'bf16' (CPU with native bf16, oneDNN); with TensorRT 'fp32' or 'fp16'.
        cpu_threads (int): math library threads; 0 uses every core.
        delete_passes (tuple[str]): optimization passes to leave out.
        tensorrt (bool): on the GPU, run what TensorRT supports through it.
    """
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
    return inference.create_predictor(config)
