"""Running a ppdet detector on video frames: the reader config's transform operators (built by the adapter,
:mod:`ppdet_deepsort.adapter.builders`) for the preprocessing, the model on any runtime (:mod:`.runtime`: dygraph,
paddle.inference, ONNX Runtime), and its boxes mapped back to the frame.

Detectors come in two kinds (PaddleDetection's ``--scaled``): general ones rescale their boxes to the
original image themselves; JDE YOLOv3, whose ``JDEBBoxPostProcess`` does not, returns boxes in the
letterboxed network input, which must be mapped back here. The kind follows from the config's post-process
rather than from a flag, so a wrong ``--scaled`` cannot silently give misplaced boxes.
"""

import logging
import os

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..boxes import iou, xyxy_to_tlwh
from ..errors import ConfigError
from ..export.tracing import export_detector
from .runtime import ModelKind, build_runtime, run_exported

logger = logging.getLogger(__name__)

__all__ = ['Detector', 'DetectorModel', 'detector_model', 'exported_detector_model', 'compare_boxes',
           'letterbox_to_image', 'outputs_scaled', 'input_shape', 'check_scaled_flag']

UNSCALED_POST_PROCESS = ('JDEBBoxPostProcess', )  # boxes stay in the letterboxed input
EMPTY_BOX_TOLERANCE_PX = 0.5  # two boxes without area are the same output when no corner moved more than this


def outputs_scaled(post_process):
    """Whether a detector with this post-process (a name, or None) returns boxes in original-image pixels."""
    return post_process not in UNSCALED_POST_PROCESS


def check_scaled_flag(flag, scaled, detector):
    """The --scaled the user gave (None if not given) against what the detector's config implies."""
    if flag is not None and bool(flag) != scaled:
        logger.warning("--scaled={} does not fit {}: its post-process {} its boxes to the original image; using "
                       "--scaled={}".format(flag, detector, 'scales' if scaled else 'does not scale', scaled))


def input_shape(reader):
    """[3, H, W] a reader feeds the network: ``inputs_def.image_shape``, else its resize's target size."""
    shape = (reader.get('inputs_def') or {}).get('image_shape')
    if shape:
        return list(shape)
    for item in reader.get('sample_transforms') or []:
        (name, args), = item.items()
        if name in ('LetterBoxResize', 'Resize') and args and 'target_size' in args:
            size = args['target_size']
            return [3] + (list(size) if isinstance(size, (list, tuple)) else [size, size])
    raise ConfigError("the reader sets no input size (inputs_def.image_shape or a resize's target_size)")


def letterbox_to_image(xyxy, input_hw, image_hw):
    """Map boxes from a ``LetterBoxResize``d network input of size ``input_hw`` back to an image of size
    ``image_hw``: undo the padding and the resize exactly as ppdet's operator applied them."""
    in_h, in_w = input_hw
    h, w = image_hw
    ratio = min(in_h / h, in_w / w)
    new_w, new_h = round(w * ratio), round(h * ratio)
    left, top = round((in_w - new_w) / 2 - 0.1), round((in_h - new_h) / 2 - 0.1)
    out = np.array(xyxy, dtype=np.float64, copy=True)
    out[:, 0::2] = (out[:, 0::2] - left) * (w / new_w)
    out[:, 1::2] = (out[:, 1::2] - top) * (h / new_h)
    return out


class _DetectorKind(ModelKind):
    """A ppdet detector: inputs 'image' (1 x 3 x H x W), 'im_shape', 'scale_factor' -> 'bbox' (N x 6 [class,
    score, x1, y1, x2, y2]), 'bbox_num'.

    With oneDNN, the conv + activation fusion is left out: on paddle 3.3 its PIR pass
    (``conv_activation_mkldnn_fuse_pass``) crashes the process with a segmentation fault while fusing
    DarkNet-53's convolutions with their leaky ReLU (it reads the slope as the wrong attribute type).
    ``delete_pass`` only matches it under its pre-PIR name. Fusing convolution with batch norm, the bulk of the
    gain, is kept; on PP-YOLOE+ leaving the fusion out measured no slower.
    """

    backend_key, precision_key = 'det_backend', 'det_precision'
    delete_passes = ('conv_activation_onednn_fuse_pass', )

    def __init__(self, name, image_shape=None, score_threshold=0.3):
        self.name, self.image_shape, self.score_threshold = name, image_shape, score_threshold

    def export(self, layer, folder):
        export_detector(layer, self.image_shape, folder)

    def dygraph_call(self, layer, inputs):
        outs = layer(inputs)
        return [outs['bbox'], outs['bbox_num']]

    def agree(self, fast, reference, precision='fp32'):
        return _close_boxes(fast, reference, self.score_threshold)


class DetectorModel:
    """A detector on a runtime (see :func:`detector_model`): inputs dict -> (bbox N x 6, bbox_num)."""

    def __init__(self, runtime):
        self.runtime = runtime

    def __call__(self, inputs):
        bbox, bbox_num = self.runtime(inputs)[:2]
        return bbox, bbox_num


def detector_model(layer, image_shape, options, score_threshold=0.3):
    """The ppdet detector ``layer`` (weights loaded, reader input ``image_shape`` [3, H, W]) run as the
    :class:`RuntimeOptions` say. Faster paths (another runtime, bf16) are kept only if the boxes scoring at
    least ``score_threshold`` on the first frame agree with paddle fp32's (same boxes, IoU >= 0.9, scores within
    0.02)."""
    return DetectorModel(build_runtime(_DetectorKind(type(layer).__name__, image_shape, score_threshold), layer,
                                       options))


def exported_detector_model(model_dir, options, score_threshold=0.3, mkldnn=True):
    """An exported detector (``model_dir``) run as the :class:`RuntimeOptions` say (not dygraph)."""
    kind = _DetectorKind(os.path.basename(os.path.normpath(model_dir)), score_threshold=score_threshold)
    return DetectorModel(run_exported(kind, model_dir, options, mkldnn))


def compare_boxes(a, b):
    """How close two detectors' outputs (N x 6 arrays [class, score, x1, y1, x2, y2]) are, box for box: the
    boxes are paired so that the coordinate differences are smallest (order among near-equal scores may
    differ between kernels), never across classes.

    Returns:
        dict: ``same_count`` (as many boxes of each class), and over the pairs ``max_abs_box_diff_px`` (largest
        coordinate difference), ``max_score_diff`` and ``min_iou`` (0, 0 and 1 when there are none). A box without
        area has IoU 0 with everything, itself included (:func:`ppdet_deepsort.boxes.iou`), so a pair with such a box
        counts as overlapping (IoU 1) when its corners are within ``EMPTY_BOX_TOLERANCE_PX``, else not (IoU 0):
        detectors do output such boxes (NMS keeps them at low scores), and identical ones are the same output.
    """
    a, b = np.asarray(a, np.float64).reshape(-1, 6), np.asarray(b, np.float64).reshape(-1, 6)
    result = {'same_count': np.array_equal(np.sort(a[:, 0]), np.sort(b[:, 0])), 'max_abs_box_diff_px': 0.,
              'max_score_diff': 0., 'min_iou': 1.}
    diff = np.abs(a[:, None, 2:] - b[None, :, 2:]).max(axis=2)
    same_class = a[:, None, 0] == b[None, :, 0]
    rows, cols = linear_sum_assignment(np.where(same_class, np.nan_to_num(diff, nan=1e12, posinf=1e12), 1e15))
    keep = same_class[rows, cols]
    rows, cols = rows[keep], cols[keep]
    if len(rows):
        tlwh_a, tlwh_b = xyxy_to_tlwh(a[rows, 2:6]), xyxy_to_tlwh(b[cols, 2:6])
        overlap = np.diag(iou(tlwh_a, tlwh_b))
        empty = (tlwh_a[:, 2:] <= 0).any(axis=1) | (tlwh_b[:, 2:] <= 0).any(axis=1)
        overlap = np.where(empty, (diff[rows, cols] <= EMPTY_BOX_TOLERANCE_PX).astype(np.float64), overlap)
        result.update(max_abs_box_diff_px=float(diff[rows, cols].max()),
                      max_score_diff=float(np.abs(a[rows, 1] - b[cols, 1]).max()), min_iou=float(overlap.min()))
    return result


def _close_boxes(fast, reference, score_threshold, min_iou=0.9, max_score_diff=0.02):
    """Whether a faster path's boxes ([bbox, bbox_num, ...] as a detector returns them) may stand for fp32's: the
    same boxes above the score threshold, each overlapping its fp32 twin by IoU >= 0.9, scores within 0.02."""
    kept = []
    for bbox, bbox_num in (fast[:2], reference[:2]):
        bbox = np.asarray(bbox).reshape(-1, 6)[:int(np.sum(bbox_num))]
        kept.append(bbox[bbox[:, 1] >= score_threshold])
    close = compare_boxes(*kept)
    agree = close['same_count'] and close['min_iou'] >= min_iou and close['max_score_diff'] <= max_score_diff
    return agree, "{} and {} boxes, min IoU {:.3f}, max score difference {:.4f}".format(
        len(kept[0]), len(kept[1]), close['min_iou'], close['max_score_diff'])


class Detector:
    """Detections of one BGR frame, in frame pixels.

    Args:
        model (callable): inputs dict ('image' 1x3xHxW, 'im_shape', 'scale_factor') -> (bbox N x 6
            [class, score, x1, y1, x2, y2], bbox_num).
        transforms (list): ppdet transform operators (see :func:`ppdet_deepsort.adapter.builders.build_transforms`).
        scaled (bool): the model returns boxes in original-image pixels (general detectors) rather than
            in the letterboxed input (JDE YOLOv3).
        score_threshold (float): detections scoring below this are dropped.
        class_ids (list[int]): classes kept; [] keeps all.
    """

    def __init__(self, model, transforms, scaled, score_threshold=0.3, class_ids=(0, )):
        self.model, self.transforms, self.scaled = model, transforms, scaled
        self.score_threshold, self.class_ids = score_threshold, list(class_ids)
        if not scaled and not any(type(op).__name__ == 'LetterBoxResize' for op in transforms):
            raise ConfigError("the detector returns boxes in its input's coordinates (JDE post-process), which "
                              "can only be mapped back after a LetterBoxResize transform")

    def inputs(self, frame):
        """The network inputs for a BGR frame, prepared as ppdet's reader does after Decode."""
        h, w = frame.shape[:2]
        sample = {'image': frame[:, :, ::-1].copy(), 'h': h, 'w': w,  # Decode gives RGB
                  'im_shape': np.array([h, w], np.float32), 'scale_factor': np.ones(2, np.float32)}
        for op in self.transforms:
            sample = op(sample)
        return {'image': sample['image'][None].astype(np.float32),
                'im_shape': np.asarray(sample['im_shape'], np.float32)[None],
                'scale_factor': np.asarray(sample['scale_factor'], np.float32)[None]}

    def __call__(self, frame):
        """(tlwh N x 4, score N, class id N) of the detections kept, clipped to the frame."""
        inputs = self.inputs(frame)
        bbox, bbox_num = self.model(inputs)
        bbox = np.asarray(bbox, np.float64).reshape(-1, 6)[:int(np.sum(bbox_num))]
        keep = bbox[:, 1] >= self.score_threshold
        if self.class_ids:
            keep &= np.isin(bbox[:, 0].astype(np.int64), self.class_ids)
        bbox = bbox[keep]
        xyxy = bbox[:, 2:6]
        h, w = frame.shape[:2]
        if not self.scaled:
            xyxy = letterbox_to_image(xyxy, inputs['image'].shape[2:], (h, w))
        xyxy = np.clip(xyxy, 0, [w, h, w, h])
        size = xyxy[:, 2:] - xyxy[:, :2]
        keep = (size > 0).all(axis=1)
        return np.concatenate([xyxy[keep, :2], size[keep]], axis=1), bbox[keep, 1], bbox[keep, 0].astype(np.int64)


