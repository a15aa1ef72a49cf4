"""CLEAR MOT metrics (Bernardin & Stiefelhagen 2008) as the MOTChallenge devkit computes them (TrackEval's
``CLEAR``): MOTA, MOTP, TP, FP, FN, ID switches, mostly tracked / partially tracked / mostly lost, fragments.

Per frame, targets and tracker boxes are matched by a Hungarian assignment on IoU (>= 0.5) that keeps last
frame's pairs whenever they still overlap enough; an ID switch is a target matched to another tracker id than
the one it was last matched to. Per sequence this returns additive counts; combined metrics are computed from
their sums.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ['clear_counts', 'clear_metrics']

_EPS = np.finfo(float).eps


def clear_counts(data, threshold=0.5):
    """TP, FP, FN, IDSW, MT, PT, ML, Frag, MOTP_sum and Frames of one :class:`~.conventions.SequenceData`."""
    counts = dict(TP=0, FP=0, FN=0, IDSW=0, MT=0, PT=0, ML=0, Frag=0, MOTP_sum=0., Frames=len(data))
    n = data.num_gt_ids
    seen = np.zeros(n)  # frames each target is present
    matched = np.zeros(n)  # frames each target is matched
    starts = np.zeros(n)  # times each target's tracking (re)starts, for Frag
    last_id = np.full(n, np.nan)  # tracker id each target was last matched to, for IDSW
    prev_id = np.full(n, np.nan)  # tracker id each target was matched to in the previous frame
    for g, t, iou in zip(data.gt_ids, data.tracker_ids, data.ious):
        counts['FP'] += len(t)
        if len(g) == 0:
            continue
        seen[g] += 1
        if len(t) == 0:
            counts['FN'] += len(g)
            continue
        # Keeping last frame's pair wins over any IoU; pairs below the threshold are not matches.
        score = 1000. * (t[None, :] == prev_id[g][:, None]) + iou
        score[iou < threshold - _EPS] = 0
        r, c = linear_sum_assignment(-score)
        ok = score[r, c] > _EPS
        r, c = r[ok], c[ok]
        gt_ids, tracker_ids = g[r], t[c]
        before = last_id[gt_ids]
        counts['IDSW'] += int(np.sum(~np.isnan(before) & (tracker_ids != before)))
        matched[gt_ids] += 1
        starts[gt_ids] += np.isnan(prev_id[gt_ids])
        last_id[gt_ids] = tracker_ids
        prev_id[:] = np.nan
        prev_id[gt_ids] = tracker_ids
        counts['TP'] += len(r)
        counts['FN'] += len(g) - len(r)
        counts['FP'] -= len(r)
        counts['MOTP_sum'] += float(iou[r, c].sum())
    ratio = matched[seen > 0] / seen[seen > 0]
    counts['MT'] = int(np.sum(ratio > 0.8))
    counts['PT'] = int(np.sum(ratio >= 0.2)) - counts['MT']
    counts['ML'] = n - counts['MT'] - counts['PT']
    counts['Frag'] = int(np.sum(starts[starts > 0] - 1))
    return counts


def clear_metrics(counts):
    """MOTA, MOTP (mean IoU of the matches), recall and precision (fractions), and the counts."""
    tp, fp, fn, idsw = counts['TP'], counts['FP'], counts['FN'], counts['IDSW']
    return {
        'MOTA': (tp - fp - idsw) / max(1., tp + fn),
        'MOTP': counts['MOTP_sum'] / max(1., tp),
        'Rcll': tp / max(1., tp + fn),
        'Prcn': tp / max(1., tp + fp),
        'GT': counts['MT'] + counts['PT'] + counts['ML'],
        'MT': counts['MT'], 'PT': counts['PT'], 'ML': counts['ML'],
        'TP': tp, 'FP': fp, 'FN': fn, 'IDs': idsw, 'FM': counts['Frag'], 'Frames': counts['Frames'],
    }
