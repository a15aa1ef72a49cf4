"""Assignment: Mahalanobis gating, min-cost matching and the matching cascade, on cost matrices the
association stages (:mod:`.association`) compute.

Cost matrices are computed once per frame for all (track, detection) pairs; the cascade then solves
sub-problems on slices of them. Index lists keep deep_sort's exact order (matched pairs in row order,
then unassigned indices, then assigned-but-too-expensive ones), because that order decides which
detection starts which new track and so the track ids.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment

from .kalman_filter import CHI2INV95

INFTY_COST = 1e+5


def gate_cost_matrix(cost_matrix, gating_distance, gated_cost=INFTY_COST):
    """Forbid pairs whose squared Mahalanobis distance lies beyond the chi-square 0.95 gate (4 dof)."""
    cost_matrix[gating_distance > CHI2INV95[4]] = gated_cost
    return cost_matrix


def min_cost_matching(cost_matrix, max_distance, track_indices, detection_indices):
    """Solve the assignment on ``cost_matrix[track_indices][:, detection_indices]``.

    Returns (matches, unmatched_tracks, unmatched_detections) as lists of the given indices.
    """
    if len(detection_indices) == 0 or len(track_indices) == 0:
        return [], list(track_indices), list(detection_indices)
    cost = cost_matrix[track_indices][:, detection_indices]
    cost[cost > max_distance] = max_distance + 1e-5
    rows, cols = linear_sum_assignment(cost)
    valid = cost[rows, cols] <= max_distance

    assigned_rows = np.zeros(len(track_indices), bool)
    assigned_rows[rows] = True
    assigned_cols = np.zeros(len(detection_indices), bool)
    assigned_cols[cols] = True
    track_indices, detection_indices = np.asarray(track_indices), np.asarray(detection_indices)
    matches = list(zip(track_indices[rows[valid]].tolist(), detection_indices[cols[valid]].tolist()))
    unmatched_tracks = track_indices[~assigned_rows].tolist() + track_indices[rows[~valid]].tolist()
    unmatched_detections = detection_indices[~assigned_cols].tolist() + detection_indices[cols[~valid]].tolist()
    return matches, unmatched_tracks, unmatched_detections


def matching_cascade(cost_matrix, max_distance, cascade_depth, time_since_update, track_indices,
                     detection_indices):
    """Match tracks level by level in order of frames since their last match (1, 2, ...,
    ``cascade_depth``), so that recently seen tracks get first pick of the detections.

    ``cost_matrix`` and ``time_since_update`` are indexed by track index. Returns (matches,
    unmatched_tracks, unmatched_detections).
    """
    unmatched_detections = list(detection_indices)
    matches = []
    track_indices = np.asarray(track_indices, dtype=np.int64)
    ages = time_since_update[track_indices] if len(track_indices) else np.zeros(0, np.int64)
    for age in np.unique(ages[ages <= cascade_depth]):
        if not unmatched_detections:
            break
        level_matches, _, unmatched_detections = min_cost_matching(
            cost_matrix, max_distance, track_indices[ages == age].tolist(), unmatched_detections)
        matches += level_matches
    # Set order, as in deep_sort: it fixes the row order of the IoU stage and so its choice on ties.
    unmatched_tracks = list(set(track_indices.tolist()) - set(k for k, _ in matches))
    return matches, unmatched_tracks, unmatched_detections
