"""The DeepSORT tracker (Wojke et al. 2017), ``FastDeepSORTTracker``: ppdet's tracker interface (``update(pred_dets,
pred_embs)`` returning tracks, ``predict()``) over the tracker of :mod:`.tracker`, which it composes once from its
settings (:class:`.options.TrackerOptions`). It needs no ppdet; :mod:`ppdet_deepsort.adapter.tracker` registers it
in ppdet under the same name.

Per frame: predict every track with the Kalman filter; match confirmed tracks to detections in a
cascade ordered by frames since their last match, on the appearance distance to each track's feature
gallery, gated by the Mahalanobis distance; match what is left (unconfirmed tracks and tracks missed
for one frame) on IoU; update, age out and start tracks. With its defaults: the same algorithm and
decisions as deep_sort and ppdet's ``DeepSORTTracker``, computed over arrays instead of per-track Python
objects.

Options from the trackers that followed it, each off by default, each a part chosen once:

* detection scores in two stages (ByteTrack): only detections scoring at least ``high_score_threshold``
  go through the stages above and start tracks; the others, down to ``low_score_threshold``, may only
  continue tracks seen in the last frame, by IoU, after them (the stage :class:`.association.LowScoreMatching`),
  the scores first raised by the tracks' overlap or not (:mod:`.score_split`);
* recovery of lost tracks on their last observed box (the stage :class:`.association.ObservationRecovery`) and
  the re-update of their state (OC-SORT, :mod:`.reupdate`);
* appearance as a moving average (StrongSORT, :mod:`.ema_appearance`), a cost mixing appearance with the
  Mahalanobis distance (:class:`.association.FusedAppearanceCost`), measurement noise scaled by detection
  confidence (NSA, :class:`.kalman_filter.NSAKalmanFilter`), and the (x, y, w, h) Kalman state (BoT-SORT,
  :data:`.kalman_filter.XYWH`);
* camera-motion compensation for moving cameras, from the frames (BoT-SORT) or from the detections themselves
  (:mod:`.camera_motion`, :mod:`.detection_motion`);
* which detections start tracks: a fixed score floor or one that follows the sequence's scores (:mod:`.birth`);
* time in seconds: ``max_age`` and ``n_init`` counted at a reference frame rate and scaled to each sequence's
  (:meth:`FastDeepSORTTracker.at_frame_rate`);
* without embeddings, the cascade's cost without the Mahalanobis gate (SORT, ByteTrack,
  :class:`.association.UngatedIoUCost`) and with OC-SORT's momentum (:class:`.association.MomentumCost`), and the
  Kalman filter's velocity noise (:data:`.kalman_filter.NOISE`);
* one global assignment in place of the cascade (StrongSORT, :class:`.association.GlobalMatching`);
* ReID on demand: only the detections whose match the appearance can change are embedded
  (:class:`.reid_policy.OnDemand`, :meth:`FastDeepSORTTracker.embedding_needed`).
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
from .options import TrackerOptions, signature
from .reid_policy import EmbedAll, OnDemand
from .reupdate import reupdate
from .score_split import BoostedSplit, ScoreSplit
from .track import Reported
from .tracker import Tracker

__all__ = ['FastDeepSORTTracker']


class FastDeepSORTTracker:
    """DeepSORT tracker, vectorized with NumPy. YAML section ``FastDeepSORTTracker``; its first ten keys and their
    defaults are those of ppdet's ``DeepSORTTracker``, and every key is also an attribute (``tracker.max_age``).

    """

    def __init__(self, *args, **kwargs):
        self.options = TrackerOptions(*args, **kwargs)
        self._mode = None  # with appearance embeddings (True) or on motion alone (False), see in_mode
        self._fps = None  # the sequence's frame rate, see at_frame_rate
        self.reset()

    __init__.__signature__ = signature()  # the keys ppdet reads: TrackerOptions' fields

    def __getattr__(self, name):
        if name != 'options' and name in TrackerOptions.__dataclass_fields__:
            return getattr(self.options, name)
        raise AttributeError("{!r} object has no attribute {!r}".format(type(self).__name__, name))

    def in_mode(self, with_appearance):
        """Fix the mode: tracking with appearance embeddings (a ReID model) or on motion alone. A key set to other
        than its default that does nothing in that mode is refused by name (ConfigError), and every frame must then
        come with embeddings or without, as the mode says. Without this call the first :meth:`update` fixes the mode
        and checks the keys. Returns the tracker."""
        self.options.check_mode(with_appearance)
        self._mode = bool(with_appearance)
        self.reset()
        return self

    def at_frame_rate(self, fps):
        """Track a sequence of ``fps`` frames a second: with ``reference_fps`` set, ``max_age``, ``n_init`` and
        ``max_time_since_update`` are scaled to it (without, nothing changes). Forgets every track, as for a new
        sequence; returns the tracker."""
        if not fps > 0:
            raise ValueError('at_frame_rate: expected a frame rate > 0, got {!r}'.format(fps))
        self._fps = float(fps)
        self.reset()
        return self

    @property
    def frame_counts(self):
        """(max_age, n_init, max_time_since_update) in frames at the sequence's frame rate (:meth:`at_frame_rate`)."""
        o = self.options
        if not o.reference_fps or self._fps is None:
            return o.max_age, o.n_init, o.max_time_since_update
        scale = self._fps / o.reference_fps
        return (max(1, int(round(o.max_age * scale))), max(1, int(round(o.n_init * scale))),
                int(o.max_time_since_update * scale + 0.5))

    @property
    def needs_frames(self):
        """Whether :meth:`predict` needs each frame's image (camera motion from the frames)."""
        return self._camera.needs_frames

    @property
    def tracks(self):
        """Every live track (:class:`.track.Tracks`), tentative ones included."""
        return self._tracker.tracks

    def reset(self):
        """Forget every track, as for a new sequence."""
        o = self.options
        kalman_filter = (PpdetKalmanFilter() if o.ppdet_compat else
                         (NSAKalmanFilter if o.nsa else KalmanFilter)(NOISE[o.kalman_state](o.velocity_noise)))
        self._model = (EMAAppearance(o.ema_alpha) if o.appearance == 'ema' else
                       NearestNeighborDistanceMetric(o.metric_type, o.matching_threshold, o.budget))
        # Thresholds at 0 are off: detection files with scores of -1 (no score) keep every detection.
        policy = OnDemand(o.reid_min_iou, o.reid_refresh) if o.reid_policy == 'on_demand' else EmbedAll()
        self._max_age, n_init, self._report_age = self.frame_counts
        floor = o.new_track_threshold if o.new_track_threshold > 0 else -np.inf
        birth = QuantileBirth(floor, o.new_track_quantile) if o.new_track_quantile else ThresholdBirth(floor)
        self._tracker = Tracker(kalman_filter, self._associate, reupdate if o.observation_centric else _no_replay,
                                n_init, self._max_age, birth, policy)
        self._planned = None  # (detections, frame, plan) of embedding_needed, for the update that follows
        self._split = (BoostedSplit if o.score_boost else ScoreSplit)(
            o.high_score_threshold if o.high_score_threshold > 0 else -np.inf, o.low_score_threshold)
        self._camera = compensation(o.camera_motion)
        self._image, self._moved = None, True  # the frame predicted for, and whether the camera was followed
        self._measure = _ppdet_measurements if o.ppdet_compat else _Measurements(kalman_filter.form)
        self._shape_ok = _ShapeFilter(o.min_box_area, o.vertical_ratio)
        self._with_appearance = self._mode  # None: fixed by the first update, embeddings given or not
        self._reported = np.zeros(0, np.int64), np.zeros((0, 4))  # rows and boxes output for the last frame
        self._observed = np.zeros(0, bool)  # which of them were matched in it

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

    def predict(self, image=None):
        """Propagate all tracks one frame ahead. Call once per frame, before :meth:`update`; with
        ``camera_motion: frames`` give the frame's BGR image. The tracks are moved as the camera moved once the
        frame's detections are given (:meth:`embedding_needed` or :meth:`update`)."""
        self._check_image(image)
        self._tracker.predict()
        self._image, self._moved = image, False
        self._planned = None

    def coast(self, image=None):
        """A frame without detections (the runner's ``det_interval``), in place of :meth:`predict` and :meth:`update`:
        every track moves one frame ahead on its velocity (and with the camera, given ``image``) without ageing,
        and the tracks reported in the last frame are reported again at their predicted boxes. Returns them as
        :meth:`update` does."""
        self._check_image(image)
        self._tracker.coast()
        self._camera(self._tracker.tracks, image, None)
        self._planned = None
        tracks, rows = self._tracker.tracks, self._reported[0]
        self._reported, self._observed = (rows, tracks.to_tlwh()[rows]), np.zeros(len(rows), bool)
        return Reported(tracks, rows)

    def embedding_ahead(self, scores):
        """Which detections (by their N scores) the next :meth:`update` reads embeddings of, where that can be known
        before the frame is tracked (``reid_policy: always``: those scoring at least ``high_score_threshold``), so
        that a caller may embed them ahead, beside the tracker; None where it depends on the tracks (``reid_policy:
        on_demand``, ``score_boost``: then ask :meth:`embedding_needed`). Safe to call from another thread while the
        tracker works."""
        strong = self._split.ahead(np.asarray(scores, np.float64))
        return None if strong is None else self._tracker.policy.ahead(strong)

    def embedding_needed(self, pred_dets):
        """After :meth:`predict`, before :meth:`update` with the same ``pred_dets``: which detections' embeddings that
        update will read (N bools). With ``reid_policy: always`` every detection's (those below
        ``high_score_threshold`` excepted); with 'on_demand' only those whose match the appearance can change, so a
        caller may embed these alone and pass anything (zeros) in the other rows of ``pred_embs``. A caller that
        embeds every detection gets the same tracks."""
        pred_dets = self._check_dets(pred_dets)
        frame = self._frame(pred_dets)
        self._planned = pred_dets.copy(), frame, self._tracker.plan(frame)
        return self._planned[2].embed.copy()

    def _check_image(self, image):
        if image is None and self._camera.needs_frames:
            raise ValueError("camera_motion: frames: the tracker needs each frame's image (predict(image)) to follow "
                             "the camera")

    def update(self, pred_dets, pred_embs=None):
        """Associate one frame's detections and update the tracks.

        Args:
            pred_dets (ndarray): N x 6 detections ``[cls_id, score, x1, y1, x2, y2]`` (ppdet's layout).
            pred_embs (ndarray or None): N x D appearance embeddings, or None to track on motion alone.
                The choice made on the first frame holds for the tracker's life.

        Returns:
            the tracks reported for this frame (as :meth:`outputs`), iterable as views like ppdet's ``Track``.
            ppdet's engine writes what ``update`` returns, so in PaddleDetection's tools this tracker reports
            what it reports in the plugin's (that engine further drops tracks last matched more than one frame
            ago, and in infer_mot.py those scoring below ``--draw_threshold``).
        """
        pred_dets = self._check_dets(pred_dets)
        self._check_mode(pred_embs)
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
        """Tracks to report for the current frame, as ppdet's engine selects them: confirmed, matched
        in this frame or (with ``max_time_since_update`` 1) the one before, and passing ``min_box_area`` /
        ``vertical_ratio``.

        Returns:
            (ids (K,), tlwhs (K x 4), scores (K,)) arrays.
        """
        rows, tlwh = self._reported
        tracks = self._tracker.tracks
        return tracks.track_id[rows], tlwh, tracks.score[rows]

    def observed(self):
        """Which of the tracks :meth:`outputs` returns were matched to a detection in this frame (N bools); the others
        are at their predicted boxes (a frame they missed, with ``max_time_since_update`` 1, or a frame without
        detections, :meth:`coast`)."""
        return self._observed.copy()

    def _frame(self, pred_dets):
        """The detections as the stages see them (:class:`.association.FrameDetections`), embeddings not yet; the
        tracks moved as the camera moved, the first time a frame is made after :meth:`predict`."""
        tlwh, measurements = self._measure(pred_dets[:, 2:6])
        scores = pred_dets[:, 1].astype(np.float64)
        # The camera is followed on the detections strong by their own scores, before any boost by the tracks.
        frame = stages.FrameDetections(tlwh, measurements, scores, None, scores >= self._split.high, [])
        if not self._moved:
            self._camera(self._tracker.tracks, self._image, frame)
            self._image, self._moved = None, True
        frame.strong, frame.weak = self._split(scores, tlwh, self._tracker.tracks)
        return frame

    @staticmethod
    def _check_dets(pred_dets):
        pred_dets = np.asarray(pred_dets)
        if pred_dets.ndim != 2 or pred_dets.shape[1] != 6:
            raise ValueError("pred_dets must be N x 6 [cls_id, score, x1, y1, x2, y2], got shape {}".format(
                pred_dets.shape))
        if not np.isfinite(pred_dets).all():
            raise ValueError("pred_dets rows {} hold NaN or inf".format(
                np.flatnonzero(~np.isfinite(pred_dets).all(1)).tolist()))
        return pred_dets

    def _check_mode(self, pred_embs):
        if self._with_appearance is None:
            self.options.check_mode(pred_embs is not None)
            self._with_appearance = pred_embs is not None
        if self._with_appearance != (pred_embs is not None):
            raise ValueError("this tracker started {} embeddings; every frame must be the same".format(
                'with' if self._with_appearance else 'without'))

    def _embeddings(self, pred_embs, embed):
        """The rows of ``pred_embs`` the plan reads (``embed``), checked; the others replaced by one unit vector,
        which no stage reads, so that whatever the caller put there changes nothing."""
        pred_embs = np.asarray(pred_embs, dtype=np.float32)
        if pred_embs.ndim != 2 or len(pred_embs) != len(embed):
            raise ValueError("pred_embs must be N x D with N = {} detections, got shape {}".format(
                len(embed), pred_embs.shape))
        read = pred_embs[embed]
        if not np.isfinite(read).all():
            raise ValueError("pred_embs hold NaN or inf")
        self._model.check(read)
        if not embed.all():
            pred_embs = pred_embs.copy()
            pred_embs[~embed] = 0.
            pred_embs[~embed, 0] = 1.
        return pred_embs


FastDeepSORTTracker.__doc__ += TrackerOptions.__doc__  # the keys' descriptions, which ppdet's schema reads too


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
