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

Each class is tracked apart (``per_class``), by a :class:`.class_tracker.ClassTracker` of its own: a track matches only
detections of its class, ids are unique across classes, and ReID may serve some classes only (``reid_classes``).
"""

import numpy as np

from .camera_motion import compensation
from .class_tracker import ClassTracker, reid_policy, score_split
from .options import TrackerOptions, signature
from .track import ReportedTogether, TrackIds, Tracks

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
        return self._needs_frames

    @property
    def tracks(self):
        """Every live track (:class:`.track.Tracks`), tentative ones included, of the one class tracked so far."""
        if len(self._classes) > 1:
            raise ValueError("tracks: this tracker tracks classes {} apart; each has its own tracks".format(
                list(self._classes)))
        return next(iter(self._classes.values())).tracks if self._classes else Tracks(self.options.kalman_state)

    def reset(self):
        """Forget every track, as for a new sequence."""
        o = self.options
        self._ids = TrackIds()
        self._classes = {}  # class (0 for all, tracked together) -> ClassTracker, in order of class
        self._image, self._predicted = None, False  # the frame predicted for, for a class first seen in it
        # What a caller may ask ahead, from another thread: the split and the policy depend on the keys alone.
        self._ahead = score_split(o), reid_policy(o, True)
        self._needs_frames = compensation(o.camera_motion).needs_frames
        self._class_keys = _class_ids if o.per_class and not o.ppdet_compat else _all_together
        self._with_appearance = self._mode  # None: fixed by the first update, embeddings given or not
        self._reported = []  # the classes' trackers that reported the last frame

    def predict(self, image=None):
        """Propagate all tracks one frame ahead. Call once per frame, before :meth:`update`; with
        ``camera_motion: frames`` give the frame's BGR image. The tracks are moved as the camera moved once the
        frame's detections are given (:meth:`embedding_needed` or :meth:`update`)."""
        self._check_image(image)
        for tracker in self._classes.values():
            tracker.predict(image)
        self._image, self._predicted = image, True

    def coast(self, image=None):
        """A frame without detections (the runner's ``det_interval``), in place of :meth:`predict` and :meth:`update`:
        every track moves one frame ahead on its velocity (and with the camera, given ``image``) without ageing,
        and the tracks reported in the last frame are reported again at their predicted boxes. Returns them as
        :meth:`update` does."""
        self._check_image(image)
        self._image, self._predicted = None, False
        return self._together([tracker.coast(image) for tracker in self._classes.values()])

    def embedding_ahead(self, scores, classes=None):
        """Which detections (by their N scores, and N class ids) the next :meth:`update` reads embeddings of, where
        that can be known before the frame is tracked (``reid_policy: always``: those scoring at least
        ``high_score_threshold``, of a class in ``reid_classes``), so that a caller may embed them ahead, beside the
        tracker; None where it depends on the tracks (``reid_policy: on_demand``, ``score_boost``: then ask
        :meth:`embedding_needed`). Without ``classes``, every detection is taken for one of ``reid_classes``. Safe to
        call from another thread while the tracker works."""
        split, policy = self._ahead
        strong = split.ahead(np.asarray(scores, np.float64))
        ahead = None if strong is None else policy.ahead(strong)
        if ahead is not None and classes is not None and self.options.reid_classes:
            ahead &= np.isin(classes, self.options.reid_classes)
        return ahead

    def embedding_needed(self, pred_dets):
        """After :meth:`predict`, before :meth:`update` with the same ``pred_dets``: which detections' embeddings that
        update will read (N bools). With ``reid_policy: always`` every detection's (those below
        ``high_score_threshold`` and those of classes left out of ``reid_classes`` excepted); with 'on_demand' only
        those whose match the appearance can change, so a caller may embed these alone and pass anything (zeros) in
        the other rows of ``pred_embs``. A caller that embeds every detection gets the same tracks."""
        pred_dets = self._check_dets(pred_dets)
        needed = np.zeros(len(pred_dets), bool)
        for tracker, rows in self._by_class(pred_dets):
            if tracker.reads_embeddings:
                needed[rows] = tracker.embedding_needed(pred_dets[rows])
        return needed

    def _check_image(self, image):
        if image is None and self._needs_frames:
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
        if pred_embs is not None:
            pred_embs = np.asarray(pred_embs, dtype=np.float32)
            if pred_embs.ndim != 2 or len(pred_embs) != len(pred_dets):
                raise ValueError("pred_embs must be N x D with N = {} detections, got shape {}".format(
                    len(pred_dets), pred_embs.shape))
        reported = []
        for tracker, rows in self._by_class(pred_dets):
            embs = pred_embs[rows] if pred_embs is not None and tracker.reads_embeddings else None
            reported.append(tracker.update(pred_dets[rows], embs))
        self._image, self._predicted = None, False
        return self._together(reported)

    def _by_class(self, pred_dets):
        """(the tracker of a class, the rows of ``pred_dets`` of that class) for every class tracked so far and every
        class in ``pred_dets``, in order of class; the trackers of classes first seen here are made."""
        keys = self._class_keys(pred_dets)
        if len(self._classes) == 1 and (keys == next(iter(self._classes))).all():  # one class: every row
            return [(next(iter(self._classes.values())), np.arange(len(keys)))]
        new = set(keys.tolist()) - set(self._classes)
        if new:
            for key in new:
                self._classes[key] = tracker = ClassTracker(self.options, self.frame_counts, self._ids,
                                                            self._appearance(key))
                if self._predicted:
                    tracker.predict(self._image)
            self._classes = dict(sorted(self._classes.items()))
        return [(tracker, np.flatnonzero(keys == key)) for key, tracker in self._classes.items()]

    def _appearance(self, key):
        """Whether the tracker of class ``key`` reads embeddings: in a run with them (or not yet known), for a class
        of ``reid_classes`` (any, when it is [])."""
        return self._with_appearance is not False and (not self.options.reid_classes or
                                                       key in self.options.reid_classes)

    def _together(self, reported):
        """One frame's :class:`.track.Reported` of every class's tracker, as one."""
        self._reported = list(self._classes.values())
        return reported[0] if len(reported) == 1 else ReportedTogether(reported)

    def outputs(self):
        """Tracks to report for the current frame, as ppdet's engine selects them: confirmed, matched
        in this frame or (with ``max_time_since_update`` 1) the one before, and passing ``min_box_area`` /
        ``vertical_ratio``; class by class.

        Returns:
            (ids (K,), tlwhs (K x 4), scores (K,)) arrays; :meth:`classes_of` gives their classes.
        """
        parts = [tracker.outputs() for tracker in self._reported]
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros(0)
        return tuple(np.concatenate(column) for column in zip(*parts))

    def observed(self):
        """Which of the tracks :meth:`outputs` returns were matched to a detection in this frame (N bools); the others
        are at their predicted boxes (a frame they missed, with ``max_time_since_update`` 1, or a frame without
        detections, :meth:`coast`)."""
        return np.concatenate([tracker.observed() for tracker in self._reported] + [np.zeros(0, bool)])

    def classes_of(self, ids):
        """The class of each of these track ids of the current sequence (the class of the detection that started the
        track; with ``per_class``, every detection it matched)."""
        return self._ids.classes(ids)

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


FastDeepSORTTracker.__doc__ += TrackerOptions.__doc__  # the keys' descriptions, which ppdet's schema reads too


def _class_ids(pred_dets):
    return pred_dets[:, 0].astype(np.int64)


def _all_together(pred_dets):
    return np.zeros(len(pred_dets), np.int64)
