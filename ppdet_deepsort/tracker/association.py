"""Association stages: each matches some of the still unmatched tracks to some of the still unmatched detections,
on its own cost and threshold. A tracker runs its list of stages in order over one :class:`Association`.

deep_sort's association is two stages, :class:`MatchingCascade` then :class:`IoUMatching`. The later trackers'
ideas are stages added after them: ByteTrack's :class:`LowScoreMatching`, OC-SORT's :class:`ObservationRecovery`.
Each stage keeps deep_sort's order of indices in the lists it passes on, because that order decides the
assignment solver's choice between equal costs, which detection starts which new track, and so the track ids.
"""

import numpy as np

from ..boxes import iou
from .kalman_filter import CHI2INV95
from .matching import INFTY_COST, gate_cost_matrix, matching_cascade, min_cost_matching

__all__ = ['FrameDetections', 'Association', 'PlannedMatches', 'MatchingCascade', 'GlobalMatching', 'AppearanceCost',
           'FusedAppearanceCost', 'MotionIoUCost', 'UngatedIoUCost', 'MomentumCost', 'IoUMatching', 'LowScoreMatching',
           'ObservationRecovery']


class FrameDetections:
    """One frame's detections as the stages see them.

    Attributes:
        tlwh (ndarray): N x 4 boxes.
        measurements (ndarray): N x 4 boxes in the Kalman state's form.
        scores (ndarray): N scores.
        embeddings (ndarray or None): N x D appearance features.
        strong (ndarray): N bools: detections that take part in every stage and may start tracks.
        weak (list[int]): the others kept: they may only continue tracks (ByteTrack's low-score detections).
        plan (:class:`.reid_policy.Plan`): the pairs matched before the stages and the detections embedded, set by
            the tracker before the stages run.
        classes (ndarray): N class ids, which the tracks they start keep.
    """

    def __init__(self, tlwh, measurements, scores, embeddings, strong, weak, classes):
        self.tlwh, self.measurements, self.scores, self.embeddings = tlwh, measurements, scores, embeddings
        self.classes = classes
        self.strong, self.weak = strong, weak
        self.plan = None


class Association:
    """The association of one frame so far: matched (track row, detection) pairs, the tracks and the strong
    detections still unmatched (all of them before the first stage), and what the stages ask of the tracks as
    they were predicted for this frame (no track changes before every stage has run)."""

    def __init__(self, tracks, frame):
        self.matches = []
        self.unmatched_tracks = list(range(len(tracks)))
        self.unmatched_dets = np.flatnonzero(frame.strong).tolist()
        self.track_tlwh = tracks.to_tlwh()  # the predicted boxes, N x 4
        # Per track, as Python lists: the stages test them track by track.
        self.confirmed = tracks.confirmed().tolist()
        self.time_since_update = tracks.time_since_update.tolist()

    def matched(self):
        """(track rows, detection indices) of the matches, as int arrays."""
        return (np.array([t for t, _ in self.matches], np.int64), np.array([d for _, d in self.matches], np.int64))

    def take(self, matches):
        """Record a stage's matches that leave the order of the other unmatched tracks as it was."""
        self.matches += matches
        matched = {t for t, _ in matches}
        self.unmatched_tracks = [k for k in self.unmatched_tracks if k not in matched]


class PlannedMatches:
    """ReID on demand's first stage: the pairs the tracker's policy (:class:`.reid_policy.OnDemand`) matched on motion
    alone, before any embedding. No other stage had a choice between them."""

    def __call__(self, kf, tracks, frame, association):
        sure = frame.plan.sure
        association.take(sure)
        taken = {d for _, d in sure}
        association.unmatched_dets = [d for d in association.unmatched_dets if d not in taken]


def _iou_matching(track_tlwh, det_tlwh, track_rows, det_indices, max_distance):
    """Min-cost matching of some tracks' boxes to some detections on 1 - IoU."""
    if not track_rows or not det_indices:
        return [], list(track_rows), list(det_indices)
    cost = np.ones((len(track_tlwh), len(det_tlwh)))
    cost[np.ix_(track_rows, det_indices)] = 1. - iou(track_tlwh[track_rows], det_tlwh[det_indices])
    return min_cost_matching(cost, max_distance, track_rows, det_indices)


class MatchingCascade:
    """deep_sort's first stage: the confirmed tracks, level by level in order of frames since their last match (so
    that recently seen tracks choose first), on ``cost`` with pairs outside the Mahalanobis gate forbidden.

    Args:
        cost: (kf, tracks, rows, frame, association) -> len(rows) x N cost (:class:`AppearanceCost`,
            :class:`FusedAppearanceCost`, :class:`MotionIoUCost`: gated; :class:`UngatedIoUCost`; :class:`MomentumCost`
            around either motion cost).
        threshold (float): the largest cost matched.
        max_age (int): the deepest level.
    """

    def __init__(self, cost, threshold, max_age):
        self.cost, self.threshold, self.max_age = cost, threshold, max_age

    def __call__(self, kf, tracks, frame, association):
        confirmed = association.confirmed
        rows = [k for k in association.unmatched_tracks if confirmed[k]]
        cost = np.full((len(tracks), len(frame.scores)), INFTY_COST)
        if rows and len(frame.scores):
            cost[rows] = self.cost(kf, tracks, rows, frame, association)
        matches, unmatched, association.unmatched_dets = self._solve(cost, tracks, rows, association.unmatched_dets)
        association.matches += matches
        association.unmatched_tracks = [k for k in association.unmatched_tracks if not confirmed[k]] + unmatched

    def _solve(self, cost, tracks, rows, dets):
        return matching_cascade(cost, self.threshold, self.max_age, tracks.time_since_update, rows, dets)


class GlobalMatching(MatchingCascade):
    """StrongSORT's "vanilla" matching in place of the cascade: one assignment over every confirmed track at once,
    on the same cost, so a track lost for a while competes on cost alone with one seen in the last frame."""

    def _solve(self, cost, tracks, rows, dets):
        return min_cost_matching(cost, self.threshold, rows, dets)


class AppearanceCost:
    """deep_sort's cascade cost: the appearance model's distance, computed only inside the Mahalanobis gate."""

    def __init__(self, model):
        self.model = model

    def __call__(self, kf, tracks, rows, frame, association):
        gating = kf.gating_distance(tracks.mean[rows], tracks.covariance[rows], frame.measurements)
        distance = self.model.distance(frame.embeddings, tracks.track_id[rows].tolist(),
                                       candidates=(gating <= CHI2INV95[4]) & frame.plan.embed)
        return gate_cost_matrix(self._combined(distance, gating), gating)

    @staticmethod
    def _combined(distance, gating):
        return distance


class FusedAppearanceCost(AppearanceCost):
    """StrongSORT's cost: (1 - w) * appearance distance + w * squared Mahalanobis distance, inside the gate."""

    def __init__(self, model, motion_weight):
        super().__init__(model)
        self.motion_weight = motion_weight

    def _combined(self, distance, gating):
        return (1. - self.motion_weight) * distance + self.motion_weight * gating


class MotionIoUCost:
    """Without embeddings, SORT's cost: 1 - IoU with the predicted box, inside the Mahalanobis gate. Capped at the
    cascade's threshold (at 1 the gate alone decides, so a track lost for a few frames can be found inside its
    grown gate, but can also take a neighbour's detection it does not overlap at all)."""

    def __call__(self, kf, tracks, rows, frame, association):
        gating = kf.gating_distance(tracks.mean[rows], tracks.covariance[rows], frame.measurements)
        return gate_cost_matrix(self._cost(rows, frame, association), gating)

    @staticmethod
    def _cost(rows, frame, association):
        return 1. - iou(association.track_tlwh[rows], frame.tlwh)


class UngatedIoUCost(MotionIoUCost):
    """SORT's and ByteTrack's cost as they use it: 1 - IoU with the predicted box, without the Mahalanobis gate, so
    only the cascade's threshold decides. The gate's innovation covariance is the filter's own idea of the target's
    motion: when the camera moves faster than that (a walking cameraman, a turning vehicle), it forbids the very
    pairs that still overlap."""

    def __call__(self, kf, tracks, rows, frame, association):
        return self._cost(rows, frame, association)


class MomentumCost:
    """OC-SORT's observation-centric momentum on top of a motion cost: a pair's cost is lowered by ``weight`` x the
    detection's score x (pi/2 - angle) / pi, where angle lies between the track's direction over its last
    observations and the direction from its last observation to the detection; a detection that continues the
    track's way is preferred to one as close that would turn it around. Pairs the cost already rejects stay
    rejected: the momentum chooses among overlapping pairs, it admits none.

    Args:
        cost: the motion cost it adjusts (:class:`MotionIoUCost`, :class:`UngatedIoUCost`).
        weight (float): OC-SORT's ``inertia`` (0.2).
        threshold (float): the cascade's threshold; pairs above it are left as they are.
    """

    def __init__(self, cost, weight, threshold):
        self.cost, self.weight, self.threshold = cost, weight, threshold

    def __call__(self, kf, tracks, rows, frame, association):
        cost = self.cost(kf, tracks, rows, frame, association)
        step = frame.measurements[None, :, :2] - tracks.observation[rows, None, :2]
        norm = np.hypot(step[..., 0], step[..., 1])
        to_det = np.divide(step, norm[..., None], out=np.zeros_like(step), where=norm[..., None] > 0)
        cosine = np.clip((tracks.directions()[rows, None, :] * to_det).sum(-1), -1., 1.)
        bonus = self.weight * frame.scores[None, :] * (np.pi / 2 - np.arccos(cosine)) / np.pi
        return np.where(cost <= self.threshold, cost - bonus, cost)


class IoUMatching:
    """deep_sort's second stage: the tentative tracks and the tracks that missed only the last frame, on 1 - IoU
    with their predicted boxes.

    Args:
        max_distance (float): the largest 1 - IoU matched.
    """

    def __init__(self, max_distance):
        self.max_distance = max_distance

    def __call__(self, kf, tracks, frame, association):
        confirmed, since = association.confirmed, association.time_since_update
        candidates = [k for k in association.unmatched_tracks if not confirmed[k] or since[k] == 1]
        rest = [k for k in association.unmatched_tracks if confirmed[k] and since[k] != 1]
        cost = np.ones((len(tracks), len(frame.scores)))
        if candidates and association.unmatched_dets:
            cost[candidates] = 1. - iou(association.track_tlwh[candidates], frame.tlwh)
        matches, unmatched, association.unmatched_dets = min_cost_matching(
            cost, self.max_distance, candidates, association.unmatched_dets)
        association.matches += matches
        # Set order, as deep_sort's: later stages take their candidates in this order.
        association.unmatched_tracks = list(set(rest + unmatched))


class LowScoreMatching:
    """ByteTrack's second association: the weak detections may continue confirmed tracks seen in the last frame,
    by IoU with their predicted boxes. They start no tracks, and stay out of the appearance model."""

    max_distance = 0.5  # ByteTrack's: IoU >= 0.5

    def __call__(self, kf, tracks, frame, association):
        confirmed, since = association.confirmed, association.time_since_update
        recent = [k for k in association.unmatched_tracks if since[k] == 1 and confirmed[k]]
        matches, _, _ = _iou_matching(association.track_tlwh, frame.tlwh, recent, frame.weak, self.max_distance)
        association.take(matches)


class ObservationRecovery:
    """OC-SORT's recovery: confirmed tracks still unmatched may take strong detections by IoU with their last
    observed box, where a lost track's prediction has drifted away from. (OC-SORT's other half, re-updating the
    state of a track found again, is :func:`.reupdate.reupdate`.)"""

    max_distance = 0.7  # OC-SORT's: IoU >= 0.3

    def __call__(self, kf, tracks, frame, association):
        confirmed = association.confirmed
        lost = [k for k in association.unmatched_tracks if confirmed[k]]
        matches, _, association.unmatched_dets = _iou_matching(tracks.observed_tlwh(), frame.tlwh, lost,
                                                               association.unmatched_dets, self.max_distance)
        association.take(matches)
