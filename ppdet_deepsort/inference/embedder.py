"""From a frame and its boxes to appearance embeddings: crops, one batch per frame, one model call; and the ReID
model as a :class:`~.runtime.ModelKind`, so that it runs on any backend."""

import logging
import os

import numpy as np

from ..data.ground_truth import GroundTruth
from ..data.sequence import Sequence
from ..export.tracing import export_reid
from ..reid.crops import IMAGENET_MEAN, IMAGENET_STD, crop_batch
from .options import RuntimeOptions
from .runtime import ModelKind, build_runtime, run_exported

logger = logging.getLogger(__name__)

__all__ = ['ReIDEmbedder', 'ReIDModel', 'reid_model', 'exported_reid_model', 'calibration_crops']

FP32_MIN_COSINE = 0.999  # another runtime's fp32, or bf16, against paddle fp32: the same embeddings
# int8 against fp32: a floor that stops a broken quantization (OSNet x0.25's int8 is within 0.97-0.985 of fp32 on
# the sample's crops; the unfolded graph's was at 0.88). Its cost in tracking is measured, not guarded: README.
INT8_MIN_COSINE = 0.95
CALIBRATION_CROPS = 256


class _ReIDKind(ModelKind):
    backend_key, precision_key = 'reid_backend', 'reid_precision'

    def __init__(self, name, input_size):
        self.name, self.input_size = name, tuple(input_size)

    def export(self, layer, folder):
        export_reid(layer, self.input_size, folder)

    def dygraph_call(self, layer, inputs):
        return [layer(inputs['crops'])]

    def agree(self, fast, reference, precision='fp32'):
        return _same_embeddings(fast[0], reference[0], INT8_MIN_COSINE if precision == 'int8' else FP32_MIN_COSINE)

    def calibration(self, options):
        crops = calibration_crops(options.reid_calibration, self.input_size)
        return [{'crops': crops[i:i + 16]} for i in range(0, len(crops), 16)]


def _same_embeddings(fast, reference, min_cosine):
    cosine = (fast * reference).sum(1) / (np.linalg.norm(fast, axis=1) * np.linalg.norm(reference, axis=1))
    worst = float(cosine.min()) if len(cosine) else 1.
    return worst >= min_cosine, "min cosine {:.5f} over {} crops, needed {}".format(worst, len(cosine), min_cosine)


def calibration_crops(seq_dir, input_size, count=CALIBRATION_CROPS):
    """Up to ``count`` person crops (normalized, the model's input) from the ground-truth boxes of the MOT
    sequence ``seq_dir``, spread evenly over its frames."""
    gt_path = os.path.join(seq_dir, 'gt', 'gt.txt')
    if not os.path.isfile(gt_path):
        raise FileNotFoundError("reid_calibration: {} has no gt/gt.txt to cut person crops from".format(seq_dir))
    seq = Sequence.from_dir(seq_dir)
    gt = GroundTruth(gt_path)
    frames = np.unique(gt.frame)
    wanted = set(frames[::max(1, len(frames) * 4 // count)].tolist())
    batches, total = [], 0
    for frame_id, image in seq.read():
        if frame_id in wanted:
            boxes = gt.tlwh[gt.frame == frame_id]
            batches.append(crop_batch(image, boxes, input_size))
            total += len(boxes)
        if total >= count or frame_id >= frames[-1]:
            break
    if not batches:
        raise ValueError("reid_calibration: no person crops in {}".format(seq_dir))
    return np.concatenate(batches)[:count]


class ReIDEmbedder:
    """Embeds the boxes of a frame.

    Args:
        model (callable): N x 3 x H x W float32 array -> N x D array.
        input_size (list[int]): crop size [w, h] (the tracker's ``input_size``, as in ppdet).
        mean, std (list[float]): RGB normalization of the crops (ImageNet's by default).
    """

    crops_ahead = True  # crops() cuts a frame's crops without the model, so the runner cuts them ahead

    def __init__(self, model, input_size, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        self.model = model
        self.input_size = tuple(input_size)
        self.mean, self.std = tuple(mean), tuple(std)
        self._dim = 0

    def __call__(self, image, tlwh, needed=None):
        """N x D float32 embeddings of the boxes ``tlwh`` (N x 4) in the BGR ``image``, in one batch (see
        :meth:`embed`)."""
        return self.embed(self.crops(image, tlwh), needed)

    def crops(self, image, tlwh):
        """The model's input for the boxes: N x 3 x H x W normalised crops, or None without boxes (thread-safe: the
        runner cuts them ahead of the model)."""
        return crop_batch(image, tlwh, self.input_size, self.mean, self.std) if len(tlwh) else None

    def embed(self, batch, needed=None):
        """N x D float32 embeddings of a batch from :meth:`crops`; with ``needed`` (N bools) only those crops go
        through the model, and the other rows are zeros."""
        if batch is None:
            return np.zeros((0, self._dim), np.float32)
        if needed is None or needed.all():
            embeddings = np.asarray(self.model(batch), np.float32)
            self._dim = embeddings.shape[1]
            return embeddings
        rows = np.flatnonzero(needed)
        if not self._dim and not len(rows):  # the size of the embeddings is the model's to say: one crop tells it
            rows = np.zeros(1, np.int64)
        if not len(rows):
            return np.zeros((len(batch), self._dim), np.float32)
        some = np.asarray(self.model(batch[rows]), np.float32)
        self._dim = some.shape[1]
        embeddings = np.zeros((len(batch), self._dim), np.float32)
        embeddings[rows] = some
        return embeddings


class ReIDModel:
    """A ReID model on a runtime (see :func:`reid_model`): N x 3 x H x W float32 crops -> N x D embeddings."""

    def __init__(self, runtime):
        self.runtime = runtime

    def __call__(self, crops):
        return self.runtime({'crops': np.ascontiguousarray(crops, np.float32)})[0]


def reid_model(layer, input_size, options=RuntimeOptions()):
    """``layer`` (weights loaded, crops of ``input_size`` [w, h]) run as the :class:`RuntimeOptions` say."""
    return ReIDModel(build_runtime(_ReIDKind(type(layer).__name__, input_size), layer, options))


def exported_reid_model(model_dir, input_size, options, mkldnn=True):
    """An exported ReID model (``model_dir``, input 'crops') run as the :class:`RuntimeOptions` say (not
    dygraph)."""
    return ReIDModel(run_exported(_ReIDKind(os.path.basename(os.path.normpath(model_dir)), input_size), model_dir,
                                  options, mkldnn))


