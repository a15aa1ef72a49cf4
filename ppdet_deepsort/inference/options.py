"""How the tools run their models: the runtime keys of a config (configs/mot/deepsort/_base_/runtime.yml), read
and checked in one place."""

import dataclasses
import os
import typing

from ..errors import ConfigError
from ..checks import check_types, require
from ..utils.distributed import cpu_threads

__all__ = ['RuntimeOptions']

DEFAULT_CALIBRATION = 'dataset/mot/PETS09/images/train/PETS09-S2L1'


@dataclasses.dataclass(frozen=True)
class RuntimeOptions:
    """The runtime keys, each a top-level config key (and an ``-o`` override of the tools).

    Args:
        use_gpu (bool): run on the GPU (paddlepaddle-gpu). Default False.
        reid_backend (str): 'auto' (on the CPU: paddle.inference or ONNX Runtime, whichever ran the model faster on
            the first real input of the first run on this machine, remembered in ``model_cache_dir``; paddle.inference
            on the GPU), 'onnxruntime' (exported, converted with paddle2onnx, cached), 'inference' (exported,
            paddle.inference with oneDNN on the CPU) or 'dygraph' (the paddle layer). Default 'auto'.
        reid_precision (str): 'fp32', 'bf16' (paddle.inference on CPUs with native bfloat16) or 'int8' (ONNX
            Runtime, calibrated on ``reid_calibration``), each kept only where it agrees with fp32 on the first
            real batch. bf16 and int8 are faster but cost identities (the tracker's thresholds were chosen on fp32
            embeddings; what they cost on the dev split: docs/speed.md). Default 'fp32'.
        det_backend (str): as ``reid_backend``, or 'tensorrt' (paddle.inference through TensorRT, GPU). Default
            'auto'.
        det_precision (str): 'auto', 'fp32', 'bf16', or 'fp16' with TensorRT. Default 'auto'.
        cpu_threads (int): math threads per model; 0 uses every core, shared among the workers of
            ``python -m paddle.distributed.launch`` and, when the stages overlap (``read_ahead``), between a detector
            and a ReID model. Default 0.
        read_ahead (int): frames decoded, detected and cropped (and embedded, see ``reid_batch_frames``) ahead of the
            tracker in background threads, and drawn behind it; 0 runs every stage in line. Default 4.
        reid_batch_frames (int): with ``reid_policy: always`` (the tracker says ahead which crops it reads), the crops
            of this many frames of a file go through the ReID model in one batch, which costs less per crop (a live
            input's are embedded frame by frame). Default 4.
        model_cache_dir (str): where ONNX conversions and the runtimes measured fastest are kept; None:
            $PPDET_DEEPSORT_CACHE or ~/.cache/ppdet_deepsort. Default None.
        reid_calibration (str): a MOT sequence folder (frames and gt/gt.txt) whose person crops calibrate int8.
            Default the bundled PETS09-S2L1 sample.
    """

    use_gpu: bool = False
    reid_backend: typing.Literal['auto', 'onnxruntime', 'inference', 'dygraph'] = 'auto'
    reid_precision: typing.Literal['fp32', 'bf16', 'int8'] = 'fp32'
    det_backend: typing.Literal['auto', 'onnxruntime', 'inference', 'tensorrt', 'dygraph'] = 'auto'
    det_precision: typing.Literal['auto', 'fp32', 'bf16', 'fp16'] = 'auto'
    cpu_threads: int = 0
    read_ahead: int = 4
    reid_batch_frames: int = 4
    model_cache_dir: typing.Optional[str] = None
    reid_calibration: str = DEFAULT_CALIBRATION

    def __post_init__(self):
        check_types('config', type(self).__init__, vars(self))
        require('config', 'cpu_threads', self.cpu_threads >= 0, 'a number of threads >= 0 (0: every core)',
                self.cpu_threads)
        require('config', 'read_ahead', self.read_ahead >= 0, 'a number of frames >= 0', self.read_ahead)
        require('config', 'reid_batch_frames', self.reid_batch_frames >= 1, 'a number of frames >= 1',
                self.reid_batch_frames)
        if self.det_precision == 'fp16' and self.det_backend != 'tensorrt':
            raise ConfigError("config.det_precision: fp16 is TensorRT's (det_backend: tensorrt), got det_backend: "
                              "{}".format(self.det_backend))
        if self.reid_precision == 'int8' and self.reid_backend not in ('auto', 'onnxruntime'):
            raise ConfigError("config.reid_precision: int8 runs on ONNX Runtime (reid_backend: onnxruntime or "
                              "auto), got reid_backend: {}".format(self.reid_backend))

    @classmethod
    def from_config(cls, cfg):
        """The options a config sets; keys it leaves out take their defaults."""
        return cls(**{f.name: cfg[f.name] for f in dataclasses.fields(cls) if f.name in cfg})

    @property
    def device(self):
        return 'GPU' if self.use_gpu else 'CPU'

    def shared_by(self, models):
        """These options for one of ``models`` models that run at once (a detector and a ReID model in overlapped
        stages): with ``cpu_threads`` 0, each gets its share of this worker's cores. Small models gain little from a
        second core (PP-PicoDet and OSNet on 2 cores: the same ms a frame on one thread as on two), and two models
        each on every core take the cores from each other."""
        if self.cpu_threads or models <= 1:
            return self
        cores = cpu_threads(0) or os.cpu_count() or 1
        return dataclasses.replace(self, cpu_threads=max(1, cores // models))

    @property
    def threads(self):
        """Math threads for this worker (see :func:`ppdet_deepsort.utils.distributed.cpu_threads`)."""
        return cpu_threads(self.cpu_threads)

    def backend(self, key):
        """What the backend key ``key`` ('reid_backend' or 'det_backend') comes to on this device: 'auto' stays
        'auto' (measured when the model is built) on the CPU where both runtimes can run the precision asked for."""
        backend = getattr(self, key)
        precision = self.reid_precision if key == 'reid_backend' else self.det_precision
        if backend == 'auto' and not self.use_gpu:
            return {'int8': 'onnxruntime', 'bf16': 'inference'}.get(precision, 'auto')
        if backend == 'auto' or (backend == 'onnxruntime' and self.use_gpu):
            return 'inference'  # the plugin installs ONNX Runtime's CPU build
        return backend
