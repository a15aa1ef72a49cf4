"""The camera's motion from the detections themselves: no frames needed, so it works on saved detections, inside
ppdet's engine and in the exported runner, where image-based compensation (:mod:`.camera_motion`) cannot.

When the camera moves, every track's predicted box is off by about the same shift (and zoom), while people walking
are off each their own way. So the shift that brings the most predicted boxes onto a detection at once is the
camera's: each (track, detection) pair of similar size nearby proposes its own offset as the shift, every proposal
counts the tracks it brings within a fraction of their height of a detection (the identity competes and wins ties),
and the best proposal's pairs fit a similarity (one scale, a translation) by least squares, held near no zoom unless
the tracks spread enough to show one. The fit moves the tracks only when it explains the pairs significantly better
than standing still (an F test of its three parameters): on a static camera, or one the Kalman velocities already
follow, people's own steps agree on no motion and nothing moves. Only tracks matched in the last frame take part, as
their predictions are the sharpest, and only detections strong by their own score.
"""

import numpy as np

__all__ = ['DetectionRegistration']


class DetectionRegistration:
    """Estimates the camera's motion between a frame's predicted tracks and its detections.

    Args:
        min_pairs (int): tracks that must agree on a motion before it is applied.
        tolerance (float): how near a moved track's centre must come to a detection's, in the track's heights.
        reach (float): the largest shift considered, in the track's heights (a pan faster than this a frame is
            not followed).
        size_ratio (float): the largest ratio between the heights of a track and a detection that may pair.
        significance (float): how many times better than the pairs' own scatter the motion must explain them (the
            F statistic of its three parameters; 10 is about the 1 % level for a handful of pairs).
        max_proposals (int): at most this many pairs, evenly spread, propose shifts (a crowd of 30 has about 150
            pairs; each proposal is checked against all of them, so the cost grows with their product).
    """

    def __init__(self, min_pairs=3, tolerance=0.2, reach=1.5, size_ratio=1.3, significance=10., max_proposals=128):
        self.min_pairs, self.tolerance, self.reach, self.size_ratio = min_pairs, tolerance, reach, size_ratio
        self.significance, self.max_proposals = significance, max_proposals

    def __call__(self, track_tlwh, det_tlwh):
        """The 2 x 3 warp (scale and translation) taking the tracks' predicted boxes (N x 4, tlwh) to where the
        detections (M x 4) say they are, or None: too few tracks agree, or the motion explains them no better than
        their own steps."""
        track_tlwh, det_tlwh = track_tlwh[track_tlwh[:, 3] > 0], det_tlwh[det_tlwh[:, 3] > 0]
        if len(track_tlwh) < self.min_pairs or len(det_tlwh) < self.min_pairs:
            return None
        track_centre = track_tlwh[:, :2] + track_tlwh[:, 2:] / 2
        det_centre = det_tlwh[:, :2] + det_tlwh[:, 2:] / 2
        height = track_tlwh[:, 3]
        offset = det_centre[None] - track_centre[:, None]  # N x M x 2
        ratio = det_tlwh[None, :, 3] / height[:, None]
        near = offset[..., 0] ** 2 + offset[..., 1] ** 2 < (self.reach * height[:, None]) ** 2
        pairs = near & (ratio < self.size_ratio) & (ratio > 1 / self.size_ratio)
        rows, cols = np.nonzero(pairs)
        if len(np.unique(rows)) < self.min_pairs:
            return None
        paired = offset[rows, cols]
        proposed = paired
        if len(proposed) > self.max_proposals:  # evenly over the tracks, whose pairs come in order
            proposed = proposed[np.linspace(0, len(proposed) - 1, self.max_proposals).astype(np.int64)]
        shifts = np.concatenate([np.zeros((1, 2)), proposed])  # the identity first: it wins ties
        # Proposal k brings track i home when some pair (i, j) lies within tolerance of it (np.nonzero gives the
        # pairs track by track).
        dx, dy = shifts[:, :1] - paired[:, 0], shifts[:, 1:] - paired[:, 1]  # proposals x pairs
        home = dx * dx + dy * dy < (self.tolerance * height[rows]) ** 2
        counts = np.logical_or.reduceat(home, np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]), axis=1).sum(1)
        best = int(np.argmax(counts))
        if counts[best] < self.min_pairs:
            return None
        # Each track brought home by the best proposal, with the detection nearest to where it puts it.
        distance = np.where(home[best], np.hypot(*(paired - shifts[best]).T), np.inf)
        order = np.lexsort((distance, rows))
        first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]]
        first = first[np.isfinite(distance[first])]
        source, target = track_centre[rows[first]], det_centre[cols[first]]
        warp = self._similarity(source, target, height[rows[first]])
        # The motion must explain the pairs better than their own steps do (an F test of the three parameters
        # against standing still): people walking past a static camera agree on no motion.
        still = ((target - source) ** 2).sum()
        left = ((target - source @ warp[:, :2].T - warp[:, 2]) ** 2).sum()
        dof = 2 * len(first) - 3
        if dof < 1 or (still - left) / 3 <= self.significance * left / dof:
            return None
        return warp

    @staticmethod
    def _similarity(source, target, height):
        """Least-squares scale s and translation t with target ~ s * source + t, the scale held towards 1 as
        strongly as if the pairs lay two tracks' heights apart: a zoom shows only in pairs spread wider than that
        (a scale fitted freely to a few close people is off by 2 % on a static camera, 8 px at 400 px away)."""
        a, b = source - source.mean(0), target - target.mean(0)
        prior = 4 * len(source) * np.median(height) ** 2
        scale = ((a * b).sum() + prior) / ((a * a).sum() + prior)
        shift = target.mean(0) - scale * source.mean(0)
        return np.array([[scale, 0., shift[0]], [0., scale, shift[1]]])
