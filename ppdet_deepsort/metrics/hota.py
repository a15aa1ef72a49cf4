"""HOTA (Luiten et al. 2021) as TrackEval computes it, the measure MOTChallenge ranks by.

For each localisation threshold alpha = 0.05, 0.10, ..., 0.95: detections are matched per frame by a
Hungarian assignment that prefers pairs whose identities overlap well over the whole sequence (the global
alignment score); DetA = TP / (TP + FN + FP); AssA = the TP-weighted mean of each matched pair's
track-level overlap |TPA| / (|TPA| + |FNA| + |FPA|); HOTA = sqrt(DetA * AssA). Reported values are means
over alpha.

Per sequence this returns additive sums, so combining sequences is adding them, which gives exactly
TrackEval's TP-weighted combination (HOTA of a set is not the mean of per-sequence HOTA).
"""

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ['ALPHAS', 'hota_sums', 'hota_metrics']

ALPHAS = np.arange(0.05, 0.99, 0.05)
_EPS = np.finfo(float).eps


def hota_sums(data):
    """Counts and sums (arrays over alpha) of one :class:`~.conventions.SequenceData`."""
    n = len(ALPHAS)
    sums = {k: np.zeros(n) for k in ('TP', 'FN', 'FP', 'AssA', 'AssRe', 'AssPr', 'LocA')}
    if data.num_tracker_dets == 0 or data.num_gt_dets == 0:
        sums['FN'][:] = data.num_gt_dets
        sums['FP'][:] = data.num_tracker_dets
        return sums
    n_gt, n_tr = data.num_gt_ids, data.num_tracker_ids
    gt_count = np.bincount(np.concatenate(data.gt_ids), minlength=n_gt).astype(float)
    tracker_count = np.bincount(np.concatenate(data.tracker_ids), minlength=n_tr).astype(float)

    # Global alignment: how much each (gt id, tracker id) pair overlaps over the whole sequence.
    potential = np.zeros((n_gt, n_tr))
    for g, t, iou in zip(data.gt_ids, data.tracker_ids, data.ious):
        if iou.size:
            denom = iou.sum(0)[None, :] + iou.sum(1)[:, None] - iou
            potential[g[:, None], t[None, :]] += np.where(denom > _EPS, iou / np.where(denom > _EPS, denom, 1), 0)
    alignment = potential / (gt_count[:, None] + tracker_count[None, :] - potential)

    # One assignment per frame serves every alpha: a pair counts at alpha if its IoU reaches it.
    pair_gt, pair_tr, pair_iou = [], [], []
    for g, t, iou in zip(data.gt_ids, data.tracker_ids, data.ious):
        if iou.size:
            r, c = linear_sum_assignment(-(alignment[g[:, None], t[None, :]] * iou))
            pair_gt.append(g[r])
            pair_tr.append(t[c])
            pair_iou.append(iou[r, c])
    pair_gt, pair_tr, pair_iou = np.concatenate(pair_gt), np.concatenate(pair_tr), np.concatenate(pair_iou)
    for a, alpha in enumerate(ALPHAS):
        hit = pair_iou >= alpha - _EPS
        tp = int(hit.sum())
        sums['TP'][a], sums['FN'][a], sums['FP'][a] = tp, data.num_gt_dets - tp, data.num_tracker_dets - tp
        sums['LocA'][a] = pair_iou[hit].sum()
        pairs, matches = np.unique(pair_gt[hit] * n_tr + pair_tr[hit], return_counts=True)
        g_count, t_count = gt_count[pairs // n_tr], tracker_count[pairs % n_tr]
        sums['AssA'][a] = np.sum(matches * matches / np.maximum(1, g_count + t_count - matches))
        sums['AssRe'][a] = np.sum(matches * matches / np.maximum(1, g_count))
        sums['AssPr'][a] = np.sum(matches * matches / np.maximum(1, t_count))
    return sums


def hota_metrics(sums):
    """HOTA, DetA, AssA, DetRe, DetPr, AssRe, AssPr, LocA (means over alpha, fractions) and their curves.

    Returns:
        (dict of floats, dict {'HOTA', 'DetA', 'AssA': list over ALPHAS})
    """
    tp = sums['TP']
    curves = {
        'DetRe': tp / np.maximum(1, tp + sums['FN']),
        'DetPr': tp / np.maximum(1, tp + sums['FP']),
        'DetA': tp / np.maximum(1, tp + sums['FN'] + sums['FP']),
        'AssA': sums['AssA'] / np.maximum(1, tp),
        'AssRe': sums['AssRe'] / np.maximum(1, tp),
        'AssPr': sums['AssPr'] / np.maximum(1, tp),
        'LocA': np.maximum(1e-10, sums['LocA']) / np.maximum(1e-10, tp),
    }
    curves['HOTA'] = np.sqrt(curves['DetA'] * curves['AssA'])
    means = {k: float(np.mean(curves[k])) for k in ('HOTA', 'DetA', 'AssA', 'DetRe', 'DetPr', 'AssRe', 'AssPr', 'LocA')}
    return means, {k: curves[k].tolist() for k in ('HOTA', 'DetA', 'AssA')}
