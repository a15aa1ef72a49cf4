"""The DeepSORT tracker (Wojke et al. 2017), registered in ppdet as ``FastDeepSORTTracker``.

Per frame: predict every track with the Kalman filter; match confirmed tracks to detections in a
cascade ordered by frames since their last match, on the appearance distance to each track's feature
gallery, gated by the Mahalanobis distance; match what is left (unconfirmed tracks and tracks missed
for one frame) on IoU; update, age out and start tracks. Same algorithm and decisions as deep_sort and
ppdet's ``DeepSORTTracker``, computed over arrays instead of per-track Python objects.
"""

from typing import List, Literal

import numpy as np
from ppdet.core.workspace import register, serializable
from ppdet.modeling.mot.tracker import DeepSORTTracker

from ..utils.config import check_types, require
from .kalman_filter import CHI2INV95, KalmanFilter
from .matching import INFTY_COST, gate_cost_matrix, iou, matching_cascade, min_cost_matching
from .nn_matching import NearestNeighborDistanceMetric
from .track import Tracks, TrackState, tlwh_to_xyah

__all__ = ['FastDeepSORTTracker']


@register
@serializable
class FastDeepSORTTracker(DeepSORTTracker):
    """DeepSORT tracker, vectorized with NumPy. YAML section ``FastDeepSORTTracker``; keys and defaults
    are those of ppdet's ``DeepSORTTracker``.

    It derives from ppdet's ``DeepSORTTracker`` only so that ppdet's own engine
    (``ppdet.engine.Tracker``), which dispatches on that class, accepts it; it shares none of its code.

    Args:
        input_size (list[int]): ReID input size [w, h] used to crop detections. Default [64, 192].
        min_box_area (float): output tracks with w*h <= this are dropped. Default 0 (keep all).
        vertical_ratio (float): output tracks with w/h > this are dropped; <= 0 disables. Default -1.
        budget (int): appearance features kept per track (oldest dropped first). Default 100.
        max_age (int): a confirmed track is deleted after more than this many frames without a match.
            Default 70.
        n_init (int): consecutive matches before a track is confirmed (and output). Default 3.
        metric_type (str): appearance distance, 'cosine' or 'euclidean'. Default 'cosine'.
        matching_threshold (float): largest appearance distance that may be matched. Default 0.2.
            Without embeddings (motion only) the cascade ranks candidates by 1 - IoU with the predicted
            box and the chi-square 0.95 Mahalanobis gate is the only threshold.
        max_iou_distance (float): largest 1 - IoU that may be matched in the IoU stage. Default 0.9.
        motion (str): motion model; only 'KalmanFilter'. Default 'KalmanFilter'.
        ppdet_compat (bool): reproduce ppdet 2.6 ``DeepSORTTracker`` output bit for bit, including
            its +1 px on every width and height when it turns x1y1x2y2 detections into tlwh and its
            float32 rounding. For parity checks only. Default False.
    """

    def __init__(self,
                 input_size: List[int] = [64, 192],
                 min_box_area: float = 0,
                 vertical_ratio: float = -1,
                 budget: int = 100,
                 max_age: int = 70,
                 n_init: int = 3,
                 metric_type: Literal['cosine', 'euclidean'] = 'cosine',
                 matching_threshold: float = 0.2,
                 max_iou_distance: float = 0.9,
                 motion: Literal['KalmanFilter'] = 'KalmanFilter',
                 ppdet_compat: bool = False):
        # ppdet's DeepSORTTracker.__init__ is deliberately not called: none of its state is used.
        name = type(self).__name__
        check_types(name, FastDeepSORTTracker.__init__, locals())
        require(name, 'input_size', len(input_size) == 2 and min(input_size) > 0, '[w, h] of positive ints',
                input_size)
        require(name, 'budget', budget >= 1, 'an int >= 1', budget)
        require(name, 'max_age', max_age >= 1, 'an int >= 1', max_age)
        require(name, 'n_init', n_init >= 1, 'an int >= 1', n_init)
        require(name, 'matching_threshold', matching_threshold >= 0, 'a distance >= 0', matching_threshold)
        require(name, 'max_iou_distance', 0 <= max_iou_distance <= 1, 'a value in [0, 1]', max_iou_distance)
        self.input_size = list(input_size)
        self.min_box_area = min_box_area
        self.vertical_ratio = vertical_ratio
        self.budget = budget
        self.max_age = max_age
        self.n_init = n_init
        self.metric_type = metric_type
        self.matching_threshold = matching_threshold
        self.max_iou_distance = max_iou_distance
        self.motion = motion
        self.ppdet_compat = ppdet_compat

        self.kf = KalmanFilter(ppdet_compat=ppdet_compat)
        self.metric = NearestNeighborDistanceMetric(metric_type, matching_threshold, budget)
        self.tracks = Tracks()
        self._next_id = 1
        self._with_appearance = None  # fixed by the first update: embeddings given or not
        self._backlog = {}  # track id -> features of a tentative track, added to the gallery on confirmation

    def predict(self):
        """Propagate all tracks one frame ahead. Call once per frame, before :meth:`update`."""
        self.tracks.predict(self.kf)

    def update(self, pred_dets, pred_embs=None):
        """Associate one frame's detections and update the tracks.

        Args:
            pred_dets (ndarray): N x 6 detections ``[cls_id, score, x1, y1, x2, y2]`` (ppdet's layout).
            pred_embs (ndarray or None): N x D appearance embeddings, or None to track on motion alone.
                The choice made on the first frame holds for the tracker's life.

        Returns:
            Tracks: all live tracks; iterating yields per-track views like ppdet's ``Track``.
        """
        pred_dets, pred_embs = self._check_inputs(pred_dets, pred_embs)
        det_tlwh, measurements = self._measurements(pred_dets[:, 2:6])
        scores = pred_dets[:, 1].astype(np.float64)

        matches, unmatched_tracks, unmatched_dets = self._match(det_tlwh, measurements, pred_embs)

        tracks = self.tracks
        rows = np.array([t for t, _ in matches], np.int64)
        dets = np.array([d for _, d in matches], np.int64)
        was_confirmed = tracks.confirmed()
        tracks.update(self.kf, rows, measurements[dets], scores[dets], self.n_init)
        tracks.mark_missed(np.array(unmatched_tracks, np.int64), self.max_age)
        new_ids = np.arange(self._next_id, self._next_id + len(unmatched_dets))
        self._next_id += len(unmatched_dets)
        mean, covariance = self.kf.initiate(measurements[unmatched_dets])
        tracks.append(mean, covariance, new_ids, scores[unmatched_dets])
        if self._with_appearance:
            self._update_gallery(rows, dets, was_confirmed, new_ids, unmatched_dets, pred_embs)
        tracks.remove_deleted()
        return tracks

    def outputs(self):
        """Tracks to report for the current frame, as ppdet's engine selects them: confirmed, matched
        in this frame or the one before, and passing ``min_box_area`` / ``vertical_ratio``.

        Returns:
            (ids (K,), tlwhs (K x 4), scores (K,)) arrays.
        """
        tracks = self.tracks
        tlwh = tracks.to_tlwh()
        keep = tracks.confirmed() & (tracks.time_since_update <= 1)
        keep &= tlwh[:, 2] * tlwh[:, 3] > self.min_box_area
        if self.vertical_ratio > 0:
            keep &= tlwh[:, 2] / tlwh[:, 3] <= self.vertical_ratio
        return tracks.track_id[keep], tlwh[keep], tracks.score[keep]

    def _check_inputs(self, pred_dets, pred_embs):
        pred_dets = np.asarray(pred_dets)
        if pred_dets.ndim != 2 or pred_dets.shape[1] != 6:
            raise ValueError("pred_dets must be N x 6 [cls_id, score, x1, y1, x2, y2], got shape {}".format(
                pred_dets.shape))
        if not np.isfinite(pred_dets).all():
            raise ValueError("pred_dets rows {} hold NaN or inf".format(
                np.flatnonzero(~np.isfinite(pred_dets).all(1)).tolist()))
        if self._with_appearance is None:
            self._with_appearance = pred_embs is not None
        if self._with_appearance != (pred_embs is not None):
            raise ValueError("this tracker started {} embeddings; every frame must be the same".format(
                'with' if self._with_appearance else 'without'))
        if pred_embs is not None:
            pred_embs = np.asarray(pred_embs, dtype=np.float32)
            if pred_embs.ndim != 2 or len(pred_embs) != len(pred_dets):
                raise ValueError("pred_embs must be N x D with N = {} detections, got shape {}".format(
                    len(pred_dets), pred_embs.shape))
            if not np.isfinite(pred_embs).all():
                raise ValueError("pred_embs hold NaN or inf")
            zero = ~np.abs(pred_embs).any(axis=1)
            if self.metric_type == 'cosine' and zero.any():
                raise ValueError("pred_embs rows {} are all zero: no cosine distance".format(
                    np.flatnonzero(zero).tolist()))
        return pred_dets, pred_embs

    def _measurements(self, xyxy):
        if self.ppdet_compat:
            # ppdet: tlwh = (x1, y1, x2 - x1 + 1, y2 - y1 + 1), held and converted in float32.
            tlwh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2] + 1], 1).astype(np.float32)
            return tlwh.astype(np.float64), tlwh_to_xyah(tlwh).astype(np.float64)
        xyxy = xyxy.astype(np.float64)
        tlwh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], 1)
        return tlwh, tlwh_to_xyah(tlwh)

    def _match(self, det_tlwh, measurements, embeddings):
        tracks = self.tracks
        n_tracks, n_dets = len(tracks), len(measurements)
        confirmed = np.flatnonzero(tracks.confirmed())
        track_tlwh = tracks.to_tlwh()

        # Cascade over confirmed tracks, pairs outside the Mahalanobis gate forbidden. The cost is the
        # appearance distance; without embeddings it is SORT's 1 - IoU of the predicted box, and the gate
        # alone decides what may match (IoU only ranks the candidates, so a track lost for a few frames,
        # whose prediction no longer overlaps, can still be found inside its grown gate).
        cost = np.full((n_tracks, n_dets), INFTY_COST)
        threshold = self.matching_threshold if self._with_appearance else 1.
        if len(confirmed) and n_dets:
            gating = self.kf.gating_distance(tracks.mean[confirmed], tracks.covariance[confirmed], measurements)
            if self._with_appearance:
                distance = self.metric.distance(embeddings, tracks.track_id[confirmed].tolist(),
                                                candidates=gating <= CHI2INV95[4])
            else:
                distance = 1. - iou(track_tlwh[confirmed], det_tlwh)
            cost[confirmed] = gate_cost_matrix(distance, gating)
        matches_a, unmatched_tracks_a, unmatched_dets = matching_cascade(
            cost, threshold, self.max_age, tracks.time_since_update, confirmed, range(n_dets))

        # IoU stage: unconfirmed tracks, and confirmed ones that missed only the last frame.
        tsu = tracks.time_since_update
        candidates = np.flatnonzero(~tracks.confirmed()).tolist() + [k for k in unmatched_tracks_a if tsu[k] == 1]
        unmatched_tracks_a = [k for k in unmatched_tracks_a if tsu[k] != 1]
        iou_cost = np.ones((n_tracks, n_dets))
        if candidates and unmatched_dets:
            iou_cost[candidates] = 1. - iou(track_tlwh[candidates], det_tlwh)
        matches_b, unmatched_tracks_b, unmatched_dets = min_cost_matching(
            iou_cost, self.max_iou_distance, candidates, unmatched_dets)

        return matches_a + matches_b, list(set(unmatched_tracks_a + unmatched_tracks_b)), unmatched_dets

    def _update_gallery(self, rows, dets, was_confirmed, new_ids, new_dets, embeddings):
        """Feed this frame's features of confirmed tracks to the gallery; tentative tracks keep theirs
        aside until confirmed (and lose them if deleted), as in deep_sort."""
        tracks = self.tracks
        ids = tracks.track_id
        steady = was_confirmed[rows]
        features, targets = [embeddings[dets[steady]]], [ids[rows[steady]]]
        for row, det in zip(rows[~steady].tolist(), dets[~steady].tolist()):
            backlog = self._backlog.pop(int(ids[row]))
            backlog.append(embeddings[det])
            if tracks.state[row] == TrackState.Confirmed:  # by this very match
                features.append(np.stack(backlog))
                targets.append(np.full(len(backlog), ids[row]))
            else:
                self._backlog[int(ids[row])] = backlog
        for track_id, det in zip(new_ids.tolist(), new_dets):
            self._backlog[track_id] = [embeddings[det]]
        for track_id in ids[tracks.state == TrackState.Deleted].tolist():
            self._backlog.pop(track_id, None)
        active = ids[tracks.confirmed()].tolist()
        self.metric.partial_fit(np.concatenate(features), np.concatenate(targets), active)
