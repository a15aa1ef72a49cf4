"""CLEAR MOT and identity metrics (py-motmetrics) with the MOTChallenge ground-truth conventions.

Convention (as the MOTChallenge devkit and TrackEval; not as ppdet's own ``MOTEvaluator``):

* every frame of the evaluated range counts, including frames where the tracker reported nothing;
* MOT16/17/20 ground truth (9 columns ``frame,id,x,y,w,h,mark,class,visibility``): rows with mark != 0
  and class 1 (pedestrian) are the targets; tracker boxes matched (Hungarian on IoU >= 0.5) to any gt
  box of a distractor class (2 person on vehicle, 7 static person, 8 distractor, 12 reflection) are
  removed first, the match being made against all gt boxes of the frame;
* MOT15 ground truth (10 columns ``frame,id,x,y,w,h,conf,x,y,z``): rows with conf != 0 count, no
  classes, nothing removed;
* a tracker box matches a target at IoU >= 0.5.
"""

import csv
import json
import logging

import motmetrics as mm
import numpy as np
from scipy.optimize import linear_sum_assignment

from ..data.mot_txt import MOTFileError, read_rows
from ..utils.atomic import atomic_write

__all__ = ['GroundTruth', 'evaluate_sequence', 'summarize', 'render_summary', 'save_summary', 'CONVENTION',
           'MOT16_DISTRACTORS']

class _DropTimingLogs(logging.Filter):
    """motmetrics logs its own timings on the root logger; keep them out of the tools' output."""

    def filter(self, record):
        return 'motmetrics' not in record.pathname


logging.getLogger().addFilter(_DropTimingLogs())

MOT16_DISTRACTORS = (2, 7, 8, 12)
CONVENTION = ('MOTChallenge/TrackEval convention: all frames of the evaluated range count; gt class 1 with '
              'mark != 0; tracker boxes matched to distractor classes 2/7/8/12 removed; match at IoU >= 0.5')

# Columns of the table, as ppdet and the MOTChallenge devkit print them.
METRICS = ['mota', 'idf1', 'idp', 'idr', 'recall', 'precision', 'num_unique_objects', 'mostly_tracked',
           'partially_tracked', 'mostly_lost', 'num_false_positives', 'num_misses', 'num_switches',
           'num_fragmentations', 'motp']
NAMES = dict(mm.io.motchallenge_metric_names, mota='MOTA', motp='MOTP')
COUNTS = {'num_unique_objects', 'mostly_tracked', 'partially_tracked', 'mostly_lost', 'num_false_positives',
          'num_misses', 'num_switches', 'num_fragmentations'}


class GroundTruth:
    """Ground truth of one sequence, split into targets and distractors per frame."""

    def __init__(self, path):
        table, _, _ = read_rows(path, (9, 10), "9 (MOT16/17/20: frame,id,x,y,w,h,mark,class,visibility) or 10 "
                                               "(MOT15: frame,id,x,y,w,h,conf,x,y,z)")
        self.path = path
        if table is None:
            table = np.zeros((0, 10))
        self.layout = 'MOT16' if table.shape[1] == 9 else 'MOT15'
        if not np.isfinite(table[:, :7]).all():
            raise MOTFileError("{}: NaN or inf in ground truth".format(path))
        frame = table[:, 0].astype(np.int64)
        marked = table[:, 6] != 0
        if self.layout == 'MOT16':
            cls = table[:, 7].astype(np.int64)
            target = marked & (cls == 1)
            distractor = np.isin(cls, MOT16_DISTRACTORS)
        else:
            target, distractor = marked, np.zeros(len(table), bool)
        order = np.argsort(frame, kind='stable')
        self._frame = frame[order]
        self._id = table[order, 1].astype(np.int64)
        self._tlwh = table[order, 2:6]
        self._target = target[order]
        self._distractor = distractor[order]

    @property
    def frames(self):
        return np.unique(self._frame)

    def in_frame(self, frame_id):
        """(target ids, target tlwh, all tlwh, all-is-distractor) of one frame."""
        lo, hi = np.searchsorted(self._frame, [frame_id, frame_id + 1])
        t = self._target[lo:hi]
        return self._id[lo:hi][t], self._tlwh[lo:hi][t], self._tlwh[lo:hi], self._distractor[lo:hi]


def _iou(a, b):
    """IoU of tlwh boxes a (N x 4) and b (M x 4)."""
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, :2] + a[:, None, 2:], b[None, :, :2] + b[None, :, 2:])
    inter = np.prod(np.clip(br - tl, 0, None), axis=2)
    union = np.prod(a[:, 2:], axis=1)[:, None] + np.prod(b[:, 2:], axis=1)[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0)


def evaluate_sequence(gt, results, frames):
    """Accumulate one sequence.

    Args:
        gt (GroundTruth): its ground truth.
        results (dict): frame id -> (ids (K,), tlwh (K x 4), ...) of the tracker's output.
        frames (iterable[int]): the frames to evaluate.

    Returns:
        motmetrics.MOTAccumulator
    """
    acc = mm.MOTAccumulator(auto_id=False)
    empty = (np.zeros(0, np.int64), np.zeros((0, 4)))
    for frame_id in frames:
        ids, tlwh = results.get(frame_id, empty)[:2]
        gt_ids, gt_tlwh, all_tlwh, distractor = gt.in_frame(frame_id)
        if distractor.any() and len(tlwh):
            # TrackEval: match against all gt boxes, drop tracker boxes whose match is a distractor.
            iou = _iou(all_tlwh, tlwh)
            iou[iou < 0.5 - np.finfo(float).eps] = 0
            rows, cols = linear_sum_assignment(-iou)
            matched = iou[rows, cols] > np.finfo(float).eps
            drop = cols[matched & distractor[rows]]
            keep = np.ones(len(ids), bool)
            keep[drop] = False
            ids, tlwh = ids[keep], tlwh[keep]
        acc.update(gt_ids, ids, mm.distances.iou_matrix(gt_tlwh, tlwh, max_iou=0.5), frameid=frame_id)
    return acc


def summarize(accumulators, names):
    """motmetrics summary (DataFrame, one row per sequence plus OVERALL)."""
    return mm.metrics.create().compute_many(accumulators, metrics=METRICS, names=names, generate_overall=True)


def render_summary(summary):
    """The metrics table as ppdet prints it."""
    return mm.io.render_summary(summary, formatters=mm.metrics.create().formatters, namemap=NAMES)


def save_summary(summary, path):
    """Write the table as JSON (``.json``) or CSV (``.csv``), atomically. Rates are fractions (0..1)."""
    rows = {name: {NAMES[k]: int(v) if k in COUNTS else float(v) for k, v in row.items()}
            for name, row in summary.iterrows()}
    if path.endswith('.json'):
        text = json.dumps({'convention': CONVENTION, 'metrics': rows}, indent=2)
        with atomic_write(path) as f:
            f.write(text + '\n')
    elif path.endswith('.csv'):
        columns = [NAMES[k] for k in METRICS]
        with atomic_write(path, newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['sequence'] + columns)
            for name, row in rows.items():
                writer.writerow([name] + [row[c] for c in columns])
    else:
        raise ValueError("metrics file must end in .json or .csv: {}".format(path))
