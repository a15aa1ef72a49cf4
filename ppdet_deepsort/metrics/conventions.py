"""What gets scored: the two ground-truth conventions, each turning ground truth and tracker output into
the per-frame data every metric works on.

``motchallenge`` (the default) is the MOTChallenge devkit's, as TrackEval's ``MotChallenge2DBox`` does it:

* every frame of the evaluated range counts, also those where the tracker reported nothing;
* MOT16/17/20: tracker boxes are first matched (Hungarian, IoU >= 0.5) against *all* gt boxes of the frame,
  and those whose match is a distractor (classes 2, 7, 8, 12; MOT20 also 6) are removed; then only class-1
  rows with mark != 0 remain as targets;
* MOT15: rows with conf 0 are dropped, nothing else.

``ppdet`` reproduces ppdet 2.6's ``MOTEvaluator``, which PaddleDetection's published tables use:

* only frames in which the tracker reported something are walked (people in other frames are not missed);
* targets are rows with mark != 0 and class 1, read from the 8th column in every layout (so a MOT15 gt file,
  whose 8th column is a coordinate, has none);
* only when the gt path names a MOT15/16/17/20 sequence, rows of classes 2, 7, 8, 12 or with a negative
  visibility are ignore regions: tracker boxes matched to them alone (IoU >= 0.5) are removed.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..boxes import iou
from ..data.ground_truth import PEDESTRIAN

__all__ = ['CONVENTIONS', 'SequenceData', 'prepare']

CONVENTIONS = {
    'motchallenge': 'MOTChallenge devkit / TrackEval: every frame of the evaluated range counts; MOT16/17/20 targets '
                    'are class 1 with mark != 0, tracker boxes matched to distractor classes 2/7/8/12 are removed '
                    'first; MOT15 rows with conf 0 dropped; match at IoU >= 0.5; MOTP is the mean IoU of matches',
    'ppdet': "ppdet 2.6 MOTEvaluator: only frames present in the result file count; targets are class 1 with "
             "mark != 0; tracker boxes matched to ignore rows (classes 2/7/8/12 or visibility < 0, MOT sequences "
             "only) are removed; CLEAR and identity metrics by py-motmetrics, MOTP is its mean 1 - IoU distance",
}
_EPS = np.finfo(float).eps
_PPDET_IGNORED = (2, 7, 8, 12)
_EMPTY = (np.zeros(0, np.int64), np.zeros((0, 4)))


class SequenceData:
    """One sequence as the metrics see it: per evaluated frame, the targets and the kept tracker boxes.

    Attributes:
        name (str): the sequence.
        gt_ids, tracker_ids (list[ndarray]): per frame, ids renumbered 0..n-1 in order of their values.
        ious (list[ndarray]): per frame, targets x tracker boxes IoU.
        raw (list[tuple]): per frame, (gt ids, gt tlwh, tracker ids, tracker tlwh) as in the files, for
            py-motmetrics under the ``ppdet`` convention.
        num_gt_ids, num_tracker_ids, num_gt_dets, num_tracker_dets (int): totals.
    """

    def __init__(self, name, frames):
        """``frames``: per frame (gt ids, gt tlwh, tracker ids, tracker tlwh, their IoU)."""
        self.name = name
        self.raw, self.ious = [], []
        for g_ids, g_tlwh, t_ids, t_tlwh, overlap in frames:
            self.raw.append((g_ids, g_tlwh, t_ids, t_tlwh))
            self.ious.append(overlap)
        self.gt_ids, self.num_gt_ids = _renumber([r[0] for r in self.raw])
        self.tracker_ids, self.num_tracker_ids = _renumber([r[2] for r in self.raw])
        self.num_gt_dets = sum(len(ids) for ids in self.gt_ids)
        self.num_tracker_dets = sum(len(ids) for ids in self.tracker_ids)

    def __len__(self):
        return len(self.ious)


def _renumber(per_frame):
    """Ids of all frames renumbered 0..n-1 (in order of value), as TrackEval relabels them."""
    if not per_frame:
        return [], 0
    unique, inverse = np.unique(np.concatenate(per_frame), return_inverse=True)
    bounds = np.cumsum([0] + [len(ids) for ids in per_frame])
    return [inverse[a:b] for a, b in zip(bounds[:-1], bounds[1:])], len(unique)


def prepare(gt, results, frames, convention='motchallenge'):
    """The :class:`SequenceData` of one sequence.

    Args:
        gt (GroundTruth): its ground truth.
        results (dict): {frame id: (ids, tlwh, ...)} of the tracker's output.
        frames (iterable[int]): the frames of the evaluated range.
        convention (str): 'motchallenge' or 'ppdet' (see the module docstring).
    """
    if convention == 'motchallenge':
        return SequenceData(gt.name, (_motchallenge_frame(gt, f, *results.get(f, _EMPTY)[:2]) for f in frames))
    if convention == 'ppdet':
        walked = [f for f in frames if f in results and len(results[f][0])]
        return SequenceData(gt.name, (_ppdet_frame(gt, f, *results[f][:2]) for f in walked))
    raise ValueError("convention must be one of {}, got {!r}".format(', '.join(CONVENTIONS), convention))


def _motchallenge_frame(gt, frame_id, ids, tlwh):
    rows = gt.rows_of(frame_id)
    g_tlwh, g_cls = gt.tlwh[rows], gt.cls[rows]
    ids, tlwh = np.asarray(ids, np.int64), np.asarray(tlwh, np.float64).reshape(-1, 4)
    overlap = iou(g_tlwh, tlwh)
    marked = gt.mark[rows].astype(np.int64) != 0  # truncated as the devkit does: a conf of 0.4 is 0
    if gt.layout == 'MOT15':
        target = marked
    else:
        target = marked & (g_cls == PEDESTRIAN)
        if overlap.size:
            candidates = np.where(overlap < 0.5 - _EPS, 0, overlap)
            r, c = linear_sum_assignment(-candidates)
            matched = candidates[r, c] > _EPS
            on_distractor = c[matched][np.isin(g_cls[r[matched]], gt.distractors)]
            keep = np.ones(len(ids), bool)
            keep[on_distractor] = False
            ids, tlwh, overlap = ids[keep], tlwh[keep], overlap[:, keep]
    return gt.track_id[rows][target], g_tlwh[target], ids, tlwh, overlap[target]


def _ppdet_frame(gt, frame_id, ids, tlwh):
    import motmetrics as mm  # ppdet's own evaluator is built on it; its distances and solver are matched exactly

    rows = gt.rows_of(frame_id)
    g_cls = gt.cls[rows].astype(np.int64)  # ppdet: int(float(column 8))
    target = (gt.mark[rows].astype(np.int64) != 0) & (g_cls == PEDESTRIAN)
    ids, tlwh = np.asarray(ids, np.int64), np.asarray(tlwh, np.float64).reshape(-1, 4)
    if any(tag in gt.path for tag in ('MOT16-', 'MOT17-', 'MOT15-', 'MOT20-')):
        ignore = np.isin(g_cls, _PPDET_IGNORED) | (gt.visibility[rows] < 0)
        distance = mm.distances.iou_matrix(gt.tlwh[rows][ignore], tlwh, max_iou=0.5)
        if len(distance) > 0:
            r, c = mm.lap.linear_sum_assignment(distance)
            matched = c[~np.isnan(distance[r, c])]
            keep = np.ones(len(ids), bool)
            keep[matched] = False
            ids, tlwh = ids[keep], tlwh[keep]
    g_tlwh = gt.tlwh[rows][target]
    return gt.track_id[rows][target], g_tlwh, ids, tlwh, iou(g_tlwh, tlwh)
