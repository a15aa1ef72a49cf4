"""The multi-target tracker of deep_sort (``deep_sort/tracker.py``), over arrays of tracks: its parts are objects
chosen once, so each frame runs the same lines whatever the settings.

Per frame: predict every track with the Kalman filter; plan which detections need appearance embeddings (the ReID
policy, :mod:`.reid_policy`); run the association stages in order; replay the state of
tracks found again (OC-SORT, or nothing); update the matched tracks, age the missed ones, start tracks from the
detections left, feed the appearance model, and drop the deleted tracks.
"""

import numpy as np

from .association import Association
from .track import Tracks

__all__ = ['Tracker']


class Tracker:
    """Args:
        kf: the Kalman filter (:mod:`.kalman_filter`), whose form the tracks' states take.
        associate: with_embeddings (bool) -> (stages, appearance): the association stages (:mod:`.association`)
            and the appearance updater (:mod:`.appearance`), chosen by the first frame: with embeddings or on
            motion alone.
        replay: (kf, tracks, rows, measurements) -> None, run on the matched tracks before their update
            (:func:`.reupdate.reupdate`, or nothing).
        n_init (int): consecutive matches before a track is confirmed.
        max_age (int): frames a confirmed track may miss before it is deleted.
        birth: (scores, unmatched detections) -> the detections that start tracks (:mod:`.birth`).
        policy: which detections need embeddings and which pairs are sure without them (:mod:`.reid_policy`).
        ids: the :class:`.track.TrackIds` new tracks take their ids from (shared with the trackers of other classes).
    """

    def __init__(self, kf, associate, replay, n_init, max_age, birth, policy, ids):
        self.kf, self.replay, self.policy, self.birth, self.ids = kf, replay, policy, birth, ids
        self.n_init, self.max_age = n_init, max_age
        self._associate = associate
        self.stages = self.appearance = None
        self.tracks = Tracks(kf.form)

    def predict(self):
        """Propagate every track one frame ahead. Call once per frame, before :meth:`update`."""
        self.tracks.predict(self.kf)

    def coast(self):
        """Propagate every track one frame ahead on a frame without detections (nothing ages)."""
        self.tracks.coast(self.kf)

    def plan(self, frame):
        """After :meth:`predict`: the ReID policy's :class:`.reid_policy.Plan` for the frame's detections."""
        return self.policy.plan(self.kf, self.tracks, frame)

    def update(self, frame, plan):
        """Associate one frame's detections (:class:`.association.FrameDetections`) and update the tracks, with the
        frame's :meth:`plan`."""
        if self.stages is None:
            self.stages, self.appearance = self._associate(frame.embeddings is not None)
        tracks = self.tracks
        frame.plan = plan
        association = Association(tracks, frame)
        for stage in self.stages:
            stage(self.kf, tracks, frame, association)

        rows, dets = association.matched()
        measured, was_confirmed = frame.measurements[dets], tracks.confirmed()
        self.replay(self.kf, tracks, rows, measured)
        tracks.update(self.kf, rows, measured, frame.scores[dets], self.n_init)
        tracks.mark_missed(np.array(association.unmatched_tracks, np.int64), self.max_age)
        starts = self.birth(frame.scores, association.unmatched_dets)
        new_ids = self._initiate_tracks(frame, starts)
        # Weak detections' crops (occluded, blurred) stay out of the appearance model, and so do the detections
        # the plan left unembedded.
        fed = plan.embed[dets]
        self.appearance.update(tracks, rows[fed], dets[fed], was_confirmed, new_ids, starts, frame.embeddings)
        tracks.skipped_features[rows[fed]] = 0
        tracks.skipped_features[[t for t, d in plan.sure if not plan.embed[d]]] += 1
        tracks.remove_deleted()

    def _initiate_tracks(self, frame, dets):
        new_ids = self.ids.take(frame.classes[dets])
        mean, covariance = self.kf.initiate(frame.measurements[dets])
        self.tracks.append(mean, covariance, new_ids, frame.scores[dets])
        return new_ids
