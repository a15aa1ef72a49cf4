"""The tracker of one class's detections, its parts chosen once from the options (:class:`.options.TrackerOptions`):
the Kalman filter, the appearance model, the association stages, the ReID policy, the score split, the births and
the camera's compensation. :class:`.deepsort_tracker.FastDeepSORTTracker` keeps one per class seen in a sequence
(one for all with ``per_class: false``); a single class is tracked by one of these alone.
"""

import numpy as np

from ..boxes import from_tlwh, xyxy_to_tlwh
from . import association as stages
from .appearance import Appearance, NoAppearance
from .birth import QuantileBirth, ThresholdBirth
from .camera_motion import compensation
from .ema_appearance import EMAAppearance
from .kalman_filter import NOISE, KalmanFilter, NSAKalmanFilter, PpdetKalmanFilter
from .nn_matching import NearestNeighborDistanceMetric
from .reid_policy import EmbedAll, OnDemand
from .reupdate import reupdate
from .score_split import BoostedSplit, ScoreSplit
from .track import Reported
from .tracker import Tracker

__all__ = ['ClassTracker', 'score_split', 'reid_policy']


def score_split(options):
    """The split of detections by score (ByteTrack's, boosted or not) the options ask for."""
    return (BoostedSplit if options.score_boost else ScoreSplit)(
        options.high_score_threshold if options.high_score_threshold > 0 else -np.inf, options.low_score_threshold)


def reid_policy(options, appearance):
    """Which detections are embedded: with ``appearance`` as ``reid_policy`` says, else none is read."""
    return (OnDemand(options.reid_min_iou, options.reid_refresh) if appearance and options.reid_policy == 'on_demand'
            else EmbedAll())


class ClassTracker:
    """Tracks one class's detections (or every class's, tracked together).

    Args:
        options (TrackerOptions): the tracker's keys.
        counts: (max_age, n_init, max_time_since_update) in frames at the sequence's frame rate.
        ids (TrackIds): where new tracks take their ids, shared with the other classes' trackers.
        reads_embeddings (bool): whether its detections' embeddings are read (a ReID model, a class of
            ``reid_classes``); else it tracks on motion alone.
    """

    def __init__(self, options, counts, ids, reads_embeddings):
        o = self.options = options
        self.reads_embeddings = reads_embeddings
        kalman_filter = (PpdetKalmanFilter() if o.ppdet_compat else
                         (NSAKalmanFilter if o.nsa else KalmanFilter)(NOISE[o.kalman_state](o.velocity_noise)))
        self._model = (EMAAppearance(o.ema_alpha) if o.appearance == 'ema' else
                       NearestNeighborDistanceMetric(o.metric_type, o.matching_threshold, o.budget))
        self._max_age, n_init, self._report_age = counts
        # Thresholds at 0 are off: detection files with scores of -1 (no score) keep every detection.
        floor = o.new_track_threshold if o.new_track_threshold > 0 else -np.inf
        birth = QuantileBirth(floor, o.new_track_quantile) if o.new_track_quantile else ThresholdBirth(floor)
        self._tracker = Tracker(kalman_filter, self._associate, reupdate if o.observation_centric else _no_replay,
                                n_init, self._max_age, birth, reid_policy(o, reads_embeddings), ids)
        self._planned = None  # (detections, frame, plan) of embedding_needed, for the update that follows
        self._split = score_split(o)
        self._camera = compensation(o.camera_motion)
        self._image, self._moved = None, True  # the frame predicted for, and whether the camera was followed
        self._measure = _ppdet_measurements if o.ppdet_compat else _Measurements(kalman_filter.form)
        self._shape_ok = _ShapeFilter(o.min_box_area, o.vertical_ratio)
        self._reported = np.zeros(0, np.int64), np.zeros((0, 4))  # rows and boxes output for the last frame
        self._observed = np.zeros(0, bool)  # which of them were matched in it

    @property
    def tracks(self):
        return self._tracker.tracks

    def _associate(self, with_embeddings):
        """The association stages and the appearance updater, deep_sort's two stages first."""
        o = self.options
        first = stages.MatchingCascade if o.matching_cascade else stages.GlobalMatching
        if with_embeddings:
            cost = (stages.FusedAppearanceCost(self._model, o.motion_weight) if o.motion_weight else
                    stages.AppearanceCost(self._model))
            cascade, appearance = first(cost, o.matching_threshold, self._max_age), Appearance(self._model)
        else:
            cost = stages.MotionIoUCost() if o.motion_gate else stages.UngatedIoUCost()
            if o.momentum_weight:
                cost = stages.MomentumCost(cost, o.momentum_weight, o.motion_matching_threshold)
            cascade, appearance = first(cost, o.motion_matching_threshold, self._max_age), NoAppearance()
        association = [cascade, stages.IoUMatching(o.max_iou_distance)]
        if with_embeddings and o.reid_policy == 'on_demand':
            association.insert(0, stages.PlannedMatches())
        if o.high_score_threshold > 0:
            association.append(stages.LowScoreMatching())
        if o.observation_centric:
            association.append(stages.ObservationRecovery())
        return association, appearance

    def predict(self, image):
        self._tracker.predict()
        self._image, self._moved = image, False
        self._planned = None

    def coast(self, image):
        self._tracker.coast()
        self._camera(self._tracker.tracks, image, None)
        self._planned = None
        tracks, rows = self._tracker.tracks, self._reported[0]
        self._reported, self._observed = (rows, tracks.to_tlwh()[rows]), np.zeros(len(rows), bool)
        return Reported(tracks, rows)

    def embedding_needed(self, pred_dets):
        frame = self._frame(pred_dets)
        self._planned = pred_dets.copy(), frame, self._tracker.plan(frame)
        return self._planned[2].embed.copy()

    def update(self, pred_dets, pred_embs):
        planned, self._planned = self._planned, None
        if planned is not None and np.array_equal(planned[0], pred_dets):
            _, frame, plan = planned
        else:
            frame = self._frame(pred_dets)
            plan = self._tracker.plan(frame)
        if pred_embs is not None:
            frame.embeddings = self._embeddings(pred_embs, plan.embed)
        self._tracker.update(frame, plan)
        tracks = self._tracker.tracks
        tlwh = tracks.to_tlwh()
        keep = tracks.confirmed() & (tracks.time_since_update <= self._report_age)
        keep &= self._shape_ok(tlwh)
        self._reported = np.flatnonzero(keep), tlwh[keep]
        self._observed = tracks.time_since_update[keep] == 0
        return Reported(tracks, self._reported[0])

    def outputs(self):
        rows, tlwh = self._reported
        tracks = self._tracker.tracks
        return tracks.track_id[rows], tlwh, tracks.score[rows]

    def observed(self):
        return self._observed

    def _frame(self, pred_dets):
        """The detections as the stages see them (:class:`.association.FrameDetections`), embeddings not yet; the
        tracks moved as the camera moved, the first time a frame is made after :meth:`predict`."""
        tlwh, measurements = self._measure(pred_dets[:, 2:6])
        scores = pred_dets[:, 1].astype(np.float64)
        # The camera is followed on the detections strong by their own scores, before any boost by the tracks.
        frame = stages.FrameDetections(tlwh, measurements, scores, None, scores >= self._split.high, [],
                                       pred_dets[:, 0].astype(np.int64))
        if not self._moved:
            self._camera(self._tracker.tracks, self._image, frame)
            self._image, self._moved = None, True
        frame.strong, frame.weak = self._split(scores, tlwh, self._tracker.tracks)
        return frame

    def _embeddings(self, pred_embs, embed):
        """The rows of ``pred_embs`` the plan reads (``embed``), checked; the others replaced by one unit vector,
        which no stage reads, so that whatever the caller put there changes nothing."""
        read = pred_embs[embed]
        if not np.isfinite(read).all():
            raise ValueError("pred_embs hold NaN or inf")
        self._model.check(read)
        if not embed.all():
            pred_embs = pred_embs.copy()
            pred_embs[~embed] = 0.
            pred_embs[~embed, 0] = 1.
        return pred_embs


def _no_replay(kf, tracks, rows, measurements):
    pass


class _Measurements:
    """x1y1x2y2 detections -> (tlwh, boxes in the Kalman state's form), in float64."""

    def __init__(self, form):
        self.form = form

    def __call__(self, xyxy):
        tlwh = xyxy_to_tlwh(xyxy.astype(np.float64))
        return tlwh, from_tlwh(tlwh, self.form)


def _ppdet_measurements(xyxy):
    """As ppdet: tlwh = (x1, y1, x2 - x1 + 1, y2 - y1 + 1), held and converted in float32."""
    tlwh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2] + 1], 1).astype(np.float32)
    return tlwh.astype(np.float64), from_tlwh(tlwh, 'xyah').astype(np.float64)


class _ShapeFilter:
    """Which output boxes (tlwh) pass ``min_box_area`` and ``vertical_ratio`` (<= 0: any ratio)."""

    def __init__(self, min_box_area, vertical_ratio):
        self.min_box_area, self.vertical_ratio = min_box_area, vertical_ratio if vertical_ratio > 0 else None

    def __call__(self, tlwh):
        keep = tlwh[:, 2] * tlwh[:, 3] > self.min_box_area
        if self.vertical_ratio is not None:
            keep &= tlwh[:, 2] / tlwh[:, 3] <= self.vertical_ratio
        return keep
