"""From a frame and its boxes to appearance embeddings: crops, one batch per frame, one model call."""

import tempfile
import time

import numpy as np
import paddle
from ppdet.utils.logger import setup_logger

from .crops import crop_batch
from .export import export_reid
from .predictor import InferenceReID, cpu_supports_bf16

logger = setup_logger(__name__)

__all__ = ['ReIDEmbedder', 'DygraphReID', 'fast_reid']


class DygraphReID:
    """A paddle ``nn.Layer`` (N x 3 x H x W -> N x D) run in dygraph mode, in eval mode, without grads."""

    def __init__(self, layer):
        self.layer = layer
        self.layer.eval()

    def __call__(self, batch):
        with paddle.no_grad():
            return self.layer(paddle.to_tensor(batch)).numpy()


def fast_reid(layer, input_size, device='CPU', precision='fp32', cpu_threads=0):
    """The fastest correct way to run ``layer``: exported to a temporary folder and run with
    ``paddle.inference`` (oneDNN on the CPU). Returns (model callable, the TemporaryDirectory to keep)."""
    if precision == 'bf16' and (device.upper() != 'CPU' or not cpu_supports_bf16()):
        logger.warning("reid_precision: bf16 needs a CPU with native bfloat16 (AVX512-BF16/AMX); using fp32")
        precision = 'fp32'
    folder = tempfile.TemporaryDirectory(prefix='ppdet_deepsort_reid_')
    export_reid(layer, input_size, folder.name)
    model = InferenceReID(folder.name, device=device, mkldnn=True, precision=precision, cpu_threads=cpu_threads)
    logger.info("ReID model {} runs with paddle.inference on {} ({}{})".format(
        type(layer).__name__, device.upper(), precision, ', oneDNN' if device.upper() == 'CPU' else ''))
    return model, folder


class ReIDEmbedder:
    """Embeds the boxes of a frame.

    Args:
        model (callable): N x 3 x H x W float32 array -> N x D array.
        input_size (list[int]): crop size [w, h] (the tracker's ``input_size``, as in ppdet).
    """

    def __init__(self, model, input_size):
        self.model = model
        self.input_size = tuple(input_size)
        self.seconds = {'crops': 0., 'model': 0.}  # time spent so far, for benchmarks
        self._dim = 0

    def __call__(self, image, tlwh):
        """N x D float32 embeddings of the boxes ``tlwh`` (N x 4) in the BGR ``image``; all in one batch."""
        if len(tlwh) == 0:
            return np.zeros((0, self._dim), np.float32)
        start = time.perf_counter()
        batch = crop_batch(image, tlwh, self.input_size)
        cropped = time.perf_counter()
        embeddings = np.asarray(self.model(batch), np.float32)
        self.seconds['crops'] += cropped - start
        self.seconds['model'] += time.perf_counter() - cropped
        self._dim = embeddings.shape[1]
        return embeddings
