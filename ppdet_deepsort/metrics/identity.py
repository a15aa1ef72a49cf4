"""Identity metrics (Ristani et al. 2016) as the MOTChallenge devkit computes them (TrackEval's ``Identity``):
one global one-to-one assignment of tracker ids to gt ids that minimises the identity false negatives plus
false positives over the whole sequence; IDF1 = 2 IDTP / (2 IDTP + IDFP + IDFN).
"""

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ['identity_counts', 'identity_metrics']


def identity_counts(data, threshold=0.5):
    """IDTP, IDFP, IDFN of one :class:`~.conventions.SequenceData`."""
    if data.num_tracker_dets == 0 or data.num_gt_dets == 0:
        return dict(IDTP=0, IDFP=data.num_tracker_dets, IDFN=data.num_gt_dets)
    n_gt, n_tr = data.num_gt_ids, data.num_tracker_ids
    gt_count = np.bincount(np.concatenate(data.gt_ids), minlength=n_gt).astype(float)
    tracker_count = np.bincount(np.concatenate(data.tracker_ids), minlength=n_tr).astype(float)
    overlap = np.zeros(n_gt * n_tr)  # frames in which each (gt id, tracker id) pair overlaps enough
    for g, t, iou in zip(data.gt_ids, data.tracker_ids, data.ious):
        r, c = np.nonzero(iou >= threshold)
        np.add.at(overlap, g[r] * n_tr + t[c], 1)
    overlap = overlap.reshape(n_gt, n_tr)
    # Square problem: each gt id may also stay unmatched (its own column), each tracker id too (its own row).
    n = n_gt + n_tr
    fn, fp = np.zeros((n, n)), np.zeros((n, n))
    fn[:n_gt, n_tr:] = 1e10
    fn[:n_gt, :n_tr] = gt_count[:, None] - overlap
    fn[np.arange(n_gt), n_tr + np.arange(n_gt)] = gt_count
    fp[n_gt:, :n_tr] = 1e10
    fp[:n_gt, :n_tr] = tracker_count[None, :] - overlap
    fp[n_gt + np.arange(n_tr), np.arange(n_tr)] = tracker_count
    r, c = linear_sum_assignment(fn + fp)
    idfn, idfp = int(fn[r, c].sum()), int(fp[r, c].sum())
    return dict(IDTP=int(gt_count.sum()) - idfn, IDFP=idfp, IDFN=idfn)


def identity_metrics(counts):
    """IDF1, IDP, IDR (fractions) and the counts."""
    tp, fp, fn = counts['IDTP'], counts['IDFP'], counts['IDFN']
    return {'IDF1': tp / max(1., tp + 0.5 * fp + 0.5 * fn), 'IDP': tp / max(1., tp + fp),
            'IDR': tp / max(1., tp + fn), 'IDTP': tp, 'IDFP': fp, 'IDFN': fn}
