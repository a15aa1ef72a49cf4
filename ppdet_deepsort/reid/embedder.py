"""From a frame and its boxes to appearance embeddings: crops, one batch per frame, one model call."""

import tempfile
import time

import numpy as np
import paddle
from ppdet.utils.logger import setup_logger

from ..deploy.export import export_reid
from ..deploy.predictor import CheckedOnFirstCall, create_predictor, resolve_precision
from ..utils.config import build, require
from ..utils.distributed import cpu_threads
from .crops import IMAGENET_MEAN, IMAGENET_STD, crop_batch
from .weights import load_state_dict

logger = setup_logger(__name__)

__all__ = ['ReIDEmbedder', 'DygraphReID', 'InferenceReID', 'fast_reid', 'reid_model', 'embedder_from_config',
           'load_reid']


class DygraphReID:
    """A paddle ``nn.Layer`` (N x 3 x H x W -> N x D) run in dygraph mode, in eval mode, without grads."""

    def __init__(self, layer):
        self.layer = layer
        self.layer.eval()

    def __call__(self, batch):
        with paddle.no_grad():
            return self.layer(paddle.to_tensor(batch)).numpy()


class InferenceReID:
    """An exported ReID model (input 'crops') run by a ``paddle.inference`` predictor; arguments as
    :func:`create_predictor`."""

    def __init__(self, model_dir, device='CPU', mkldnn=True, precision='fp32', cpu_threads=0):
        self._predictor = create_predictor(model_dir, device, mkldnn, precision, cpu_threads)
        self._input = self._predictor.get_input_handle(self._predictor.get_input_names()[0])
        self._output = self._predictor.get_output_handle(self._predictor.get_output_names()[0])

    def __call__(self, batch):
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        self._input.reshape(batch.shape)
        self._input.copy_from_cpu(batch)
        self._predictor.run()
        return self._output.copy_to_cpu()


def fast_reid(layer, input_size, device='CPU', precision='auto', cpu_threads=0):
    """The fastest correct way to run ``layer``: exported (to a temporary folder, gone once the predictor has
    loaded it) and run with ``paddle.inference``, with oneDNN on the CPU.

    ``precision``: 'fp32', 'bf16' (CPUs with native bfloat16 only), or 'auto': bf16 where the CPU has it,
    kept only if its embeddings of the first real batch agree with fp32 (cosine >= 0.999).
    """
    precision = resolve_precision(precision, device, 'reid_precision')
    with tempfile.TemporaryDirectory(prefix='ppdet_deepsort_reid_') as folder:
        export_reid(layer, input_size, folder)

        def predictor(kind):
            return InferenceReID(folder, device=device, mkldnn=True, precision=kind, cpu_threads=cpu_threads)

        if precision == 'bf16?':
            model = CheckedOnFirstCall(predictor('bf16'), predictor('fp32'), _same_embeddings, type(layer).__name__)
        else:
            model = predictor(precision)
    logger.info("ReID model {} runs with paddle.inference on {} ({}{})".format(
        type(layer).__name__, device.upper(), 'bf16 if it agrees with fp32 on the first batch'
        if precision == 'bf16?' else precision, ', oneDNN' if device.upper() == 'CPU' else ''))
    return model


def _same_embeddings(fast, reference, min_cosine=0.999):
    cosine = (fast * reference).sum(1) / (np.linalg.norm(fast, axis=1) * np.linalg.norm(reference, axis=1))
    return cosine.min() >= min_cosine, "min cosine {:.5f} over {} crops, needed {}".format(
        cosine.min(), len(fast), min_cosine)


class ReIDEmbedder:
    """Embeds the boxes of a frame.

    Args:
        model (callable): N x 3 x H x W float32 array -> N x D array.
        input_size (list[int]): crop size [w, h] (the tracker's ``input_size``, as in ppdet).
        mean, std (list[float]): RGB normalization of the crops (ImageNet's by default).
    """

    def __init__(self, model, input_size, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        self.model = model
        self.input_size = tuple(input_size)
        self.mean, self.std = tuple(mean), tuple(std)
        self.seconds = {'crops': 0., 'model': 0.}  # time spent so far, for benchmarks
        self._dim = 0

    def __call__(self, image, tlwh):
        """N x D float32 embeddings of the boxes ``tlwh`` (N x 4) in the BGR ``image``; all in one batch."""
        return self.embed(self.crops(image, tlwh))

    def crops(self, image, tlwh):
        """The model's input for the boxes: N x 3 x H x W normalised crops (thread-safe: the runner cuts them
        while reading ahead)."""
        start = time.perf_counter()
        batch = crop_batch(image, tlwh, self.input_size, self.mean, self.std) if len(tlwh) else None
        self.seconds['crops'] += time.perf_counter() - start
        return batch

    def embed(self, batch):
        """N x D float32 embeddings of a batch from :meth:`crops`."""
        if batch is None:
            return np.zeros((0, self._dim), np.float32)
        start = time.perf_counter()
        embeddings = np.asarray(self.model(batch), np.float32)
        self.seconds['model'] += time.perf_counter() - start
        self._dim = embeddings.shape[1]
        return embeddings


def load_reid(cfg):
    """The ReID layer ``DeepSORT.reid`` of a config, with ``reid_weights`` loaded strictly."""
    layer = build(cfg['DeepSORT']['reid'], 'DeepSORT.reid')
    load_state_dict(layer, cfg.get('reid_weights'), 'reid_weights')
    return layer


def reid_model(cfg, layer, input_size):
    """``layer`` (weights loaded) run as the config's ``reid_backend``, ``reid_precision``, ``cpu_threads`` and
    ``use_gpu`` say: a callable from N x 3 x H x W crops to N x D embeddings (arrays)."""
    backend = cfg.get('reid_backend', 'inference')
    precision = cfg.get('reid_precision', 'auto')
    require('config', 'reid_backend', backend in ('inference', 'dygraph'), "'inference' or 'dygraph'", backend)
    require('config', 'reid_precision', precision in ('auto', 'fp32', 'bf16'), "'auto', 'fp32' or 'bf16'",
            precision)
    if backend == 'dygraph':
        return DygraphReID(layer)
    return fast_reid(layer, input_size, 'GPU' if cfg.get('use_gpu') else 'CPU', precision,
                     cpu_threads(int(cfg.get('cpu_threads', 0))))


def embedder_from_config(cfg, input_size):
    """The ReIDEmbedder a DeepSORT config asks for (``DeepSORT.reid``, ``reid_weights`` and the runtime keys of
    :func:`reid_model`), or None when it has no ReID model."""
    name = cfg['DeepSORT'].get('reid')
    if name in (None, 'None'):
        logger.info("No ReID model configured (DeepSORT.reid: None): tracking on motion alone (Kalman filter, "
                    "gated cascade and IoU), appearance matching off")
        return None
    return ReIDEmbedder(reid_model(cfg, load_reid(cfg), input_size), input_size)
