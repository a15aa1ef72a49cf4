"""Box forms and their IoU, row-wise over N x 4 arrays: the one place where boxes change form.

* tlwh: top-left x, top-left y, width, height (MOTChallenge files, the tracker's output);
* xyxy: x1, y1, x2, y2 (ppdet's detections);
* xyah: centre x, centre y, aspect ratio w / h, height (deep_sort's Kalman state);
* xywh: centre x, centre y, width, height (BoT-SORT's Kalman state).
"""

import numpy as np

__all__ = ['xyxy_to_tlwh', 'tlwh_to_xyxy', 'to_tlwh', 'from_tlwh', 'iou', 'pred_dets']

_EPS = np.finfo(float).eps


def xyxy_to_tlwh(xyxy):
    return np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1)


def tlwh_to_xyxy(tlwh):
    return np.concatenate([tlwh[:, :2], tlwh[:, :2] + tlwh[:, 2:]], axis=1)


def to_tlwh(boxes, form):
    """Centre forms ('xyah' or 'xywh') -> tlwh."""
    ret = boxes.copy()
    if form == 'xyah':
        ret[:, 2] *= ret[:, 3]
    ret[:, :2] -= ret[:, 2:] / 2
    return ret


def from_tlwh(tlwh, form):
    """tlwh -> a centre form ('xyah' or 'xywh')."""
    ret = tlwh.copy()
    ret[:, :2] += ret[:, 2:] / 2
    if form == 'xyah':
        ret[:, 2] /= ret[:, 3]
    return ret


def iou(tlwh_a, tlwh_b):
    """IoU of every box of ``tlwh_a`` (N x 4) with every box of ``tlwh_b`` (M x 4): N x M. Boxes without area have
    IoU 0 with everything (TrackEval's rule: an empty box matches nothing, and no 0 / 0 reaches a cost matrix)."""
    a_br, b_br = tlwh_a[:, :2] + tlwh_a[:, 2:], tlwh_b[:, :2] + tlwh_b[:, 2:]
    wh = np.minimum(a_br[:, None], b_br[None]) - np.maximum(tlwh_a[:, None, :2], tlwh_b[None, :, :2])
    inter = np.maximum(wh[..., 0], 0) * np.maximum(wh[..., 1], 0)
    area_a, area_b = tlwh_a[:, 2] * tlwh_a[:, 3], tlwh_b[:, 2] * tlwh_b[:, 3]
    union = area_a[:, None] + area_b[None] - inter
    empty_a, empty_b = area_a <= _EPS, area_b <= _EPS
    if not (empty_a.any() or empty_b.any()):
        return inter / union  # no empty box, so no union below the larger area
    inter[empty_a] = 0
    inter[:, empty_b] = 0
    inter[union <= _EPS] = 0
    return inter / np.where(union <= _EPS, 1, union)


def pred_dets(tlwh, scores, classes):
    """Detections as ppdet's trackers take them: N x 6 rows [class, score, x1, y1, x2, y2]."""
    return np.column_stack([classes, scores, tlwh[:, :2], tlwh[:, :2] + tlwh[:, 2:]]).astype(np.float64)
