"""The DeepSORT tracker (Wojke et al. 2017), registered in ppdet as ``FastDeepSORTTracker``.

Per frame: predict every track with the Kalman filter; match confirmed tracks to detections in a
cascade ordered by frames since their last match, on the appearance distance to each track's feature
gallery, gated by the Mahalanobis distance; match what is left (unconfirmed tracks and tracks missed
for one frame) on IoU; update, age out and start tracks. With its defaults: the same algorithm and
decisions as deep_sort and ppdet's ``DeepSORTTracker``, computed over arrays instead of per-track Python
objects.

Options from the trackers that followed it, each off by default:

* detection scores in two stages (ByteTrack): only detections scoring at least ``high_score_threshold``
  go through the stages above and start tracks; the others, down to ``low_score_threshold``, may only
  continue tracks seen in the last frame, by IoU, after them;
* recovery of lost tracks on their last observed box and the re-update of their state (OC-SORT,
  :mod:`.reupdate`);
* appearance as a moving average (StrongSORT, :mod:`.ema_appearance`), a cost mixing appearance with the
  Mahalanobis distance, measurement noise scaled by detection confidence (NSA), and the (x, y, w, h)
  Kalman state (BoT-SORT, :mod:`.kalman_filter`);
* camera-motion compensation for moving cameras (BoT-SORT, :mod:`.camera_motion`).
"""

import inspect
from typing import List, Literal

import numpy as np
from ppdet.core.workspace import register, serializable
from ppdet.modeling.mot.tracker import DeepSORTTracker

from ..utils.config import check_types, require
from .camera_motion import warp_states
from .ema_appearance import EMAAppearance
from .kalman_filter import CHI2INV95, KalmanFilter
from .matching import INFTY_COST, gate_cost_matrix, iou, matching_cascade, min_cost_matching
from .nn_matching import NearestNeighborDistanceMetric
from .reupdate import reupdate
from .track import Reported, Tracks, TrackState, from_tlwh

# ByteTrack's IoU threshold for continuing tracks with low-score detections, OC-SORT's for recovering lost
# tracks on their last observed box (both 1 - IoU).
_LOW_SCORE_MAX_IOU_DISTANCE = 0.5
_RECOVERY_MAX_IOU_DISTANCE = 0.7

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
            float32 rounding. For parity checks only; the keys below must keep their defaults. Default
            False.
        max_time_since_update (int): confirmed tracks are output while their last match is at most this many
            frames old; 1 (deep_sort, ppdet's engine) also reports a track at its predicted box in the first
            frame it misses, 0 only tracks matched in this frame (as ByteTrack and BoT-SORT). Default 1.
        motion_matching_threshold (float): without embeddings, the largest 1 - IoU with the predicted box
            that the cascade matches (inside the gate); 1 lets the gate alone decide. Default 1.
        high_score_threshold (float): detections scoring below this neither start tracks nor take part in
            the cascade and IoU stages; they may only continue a confirmed track matched in the last frame,
            at IoU >= 0.5, after those stages (ByteTrack). 0 treats all alike. Default 0.
        low_score_threshold (float): detections scoring below this are dropped. Default 0.
        new_track_threshold (float): unmatched detections start tracks only when they score at least
            this. Default 0.
        observation_centric (bool): OC-SORT's observation-centric pieces: confirmed tracks still unmatched
            after the other stages may take unmatched detections by IoU (>= 0.3) with their last observed box
            (where a lost track's prediction has drifted away), and a track found again after frames without
            a match has its state replayed along the straight line between the two observations before the
            update. Default False.
        appearance (str): 'gallery': the nearest of the last ``budget`` features (deep_sort); 'ema': one
            moving average feature per track (StrongSORT), cosine only. Default 'gallery'.
        ema_alpha (float): with appearance 'ema', the old feature's weight at each update. Default 0.9.
        motion_weight (float): cascade cost = (1 - w) * appearance distance + w * squared Mahalanobis
            distance (StrongSORT's lambda = 1 - w, which uses w = 0.02); 0 uses the gate alone. With
            appearance only. Default 0.
        nsa (bool): scale each detection's measurement noise by 1 - its score (NSA Kalman). Default False.
        kalman_state (str): 'xyah' (deep_sort: centre, aspect ratio, height) or 'xywh' (BoT-SORT: centre,
            width, height). Default 'xyah'.
        camera_motion (bool): compensate camera motion estimated from the frames (BoT-SORT's sparse optical
            flow, :mod:`.camera_motion`) before matching; the tools then read the frames even without a ReID
            model. For moving cameras; it costs time. Default False.
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
                 ppdet_compat: bool = False,
                 max_time_since_update: int = 1,
                 motion_matching_threshold: float = 1.,
                 high_score_threshold: float = 0.,
                 low_score_threshold: float = 0.,
                 new_track_threshold: float = 0.,
                 observation_centric: bool = False,
                 appearance: Literal['gallery', 'ema'] = 'gallery',
                 ema_alpha: float = 0.9,
                 motion_weight: float = 0.,
                 nsa: bool = False,
                 kalman_state: Literal['xyah', 'xywh'] = 'xyah',
                 camera_motion: bool = False):
        # ppdet's DeepSORTTracker.__init__ is deliberately not called: none of its state is used.
        name = type(self).__name__
        check_types(name, FastDeepSORTTracker.__init__, locals())
        require(name, 'input_size', len(input_size) == 2 and min(input_size) > 0, '[w, h] of positive ints',
                input_size)
        require(name, 'budget', budget >= 1, 'an int >= 1', budget)
        require(name, 'max_time_since_update', max_time_since_update >= 0, 'an int >= 0', max_time_since_update)
        require(name, 'max_age', max_age >= 1, 'an int >= 1', max_age)
        require(name, 'n_init', n_init >= 1, 'an int >= 1', n_init)
        require(name, 'matching_threshold', matching_threshold >= 0, 'a distance >= 0', matching_threshold)
        require(name, 'max_iou_distance', 0 <= max_iou_distance <= 1, 'a value in [0, 1]', max_iou_distance)
        require(name, 'motion_matching_threshold', 0 <= motion_matching_threshold <= 1, 'a value in [0, 1]',
                motion_matching_threshold)
        require(name, 'low_score_threshold', low_score_threshold <= high_score_threshold,
                'at most high_score_threshold ({})'.format(high_score_threshold), low_score_threshold)
        require(name, 'ema_alpha', 0 <= ema_alpha < 1, 'a value in [0, 1)', ema_alpha)
        require(name, 'motion_weight', 0 <= motion_weight <= 1, 'a value in [0, 1]', motion_weight)
        require(name, 'appearance', appearance == 'gallery' or metric_type == 'cosine',
                "'gallery' with metric_type euclidean (the moving average is cosine only)", appearance)
        options = dict(max_time_since_update=max_time_since_update, motion_matching_threshold=motion_matching_threshold,
                       high_score_threshold=high_score_threshold, low_score_threshold=low_score_threshold,
                       new_track_threshold=new_track_threshold,
                       observation_centric=observation_centric, appearance=appearance, motion_weight=motion_weight,
                       nsa=nsa, kalman_state=kalman_state, camera_motion=camera_motion)
        changed = [k for k, v in options.items() if v != inspect.signature(type(self)).parameters[k].default]
        require(name, 'ppdet_compat', not (ppdet_compat and changed),
                'false when options beyond ppdet\'s are set ({})'.format(', '.join(changed)), ppdet_compat)
        self.input_size = list(input_size)
        self.min_box_area = min_box_area
        self.max_time_since_update = max_time_since_update
        self.vertical_ratio = vertical_ratio
        self.budget = budget
        self.max_age = max_age
        self.n_init = n_init
        self.metric_type = metric_type
        self.matching_threshold = matching_threshold
        self.max_iou_distance = max_iou_distance
        self.motion_matching_threshold = motion_matching_threshold
        self.motion = motion
        self.ppdet_compat = ppdet_compat
        self.high_score_threshold = high_score_threshold
        self.low_score_threshold = low_score_threshold
        self.new_track_threshold = new_track_threshold
        self.observation_centric = observation_centric
        self.appearance = appearance
        self.ema_alpha = ema_alpha
        self.motion_weight = motion_weight
        self.nsa = nsa
        self.kalman_state = kalman_state
        self.camera_motion = camera_motion

        self.kf = KalmanFilter(ppdet_compat=ppdet_compat, state=kalman_state)
        self.reset()

    def reset(self):
        """Forget every track, as for a new sequence."""
        self.metric = (EMAAppearance(self.ema_alpha) if self.appearance == 'ema' else
                       NearestNeighborDistanceMetric(self.metric_type, self.matching_threshold, self.budget))
        self.tracks = Tracks(self.kalman_state)
        self._next_id = 1
        self._with_appearance = None  # fixed by the first update: embeddings given or not
        self._backlog = {}  # track id -> features of a tentative track, added to the gallery on confirmation
        self._reported = np.zeros(0, np.int64), np.zeros((0, 4))  # rows and boxes output for the last frame

    def predict(self):
        """Propagate all tracks one frame ahead. Call once per frame, before :meth:`update`."""
        self.tracks.predict(self.kf)

    def compensate(self, warp):
        """Move every track by the camera's image motion since the last frame (a 2 x 3 warp, see
        :class:`.camera_motion.CameraMotion`). Call after :meth:`predict`, before :meth:`update`."""
        tracks = self.tracks
        warp_states(tracks.mean, tracks.covariance, warp, self.kalman_state)
        warp_states(tracks.observed_mean, tracks.observed_covariance, warp, self.kalman_state)
        observed = np.concatenate([tracks.observation, np.zeros_like(tracks.observation)], axis=1)
        warp_states(observed, np.zeros((len(observed), 8, 8)), warp, self.kalman_state)
        tracks.observation = observed[:, :4]

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
        pred_dets, pred_embs = self._check_inputs(pred_dets, pred_embs)
        det_tlwh, measurements = self._measurements(pred_dets[:, 2:6])
        scores = pred_dets[:, 1].astype(np.float64)
        # Thresholds at 0 are off: detection files with scores of -1 (no score) keep every detection.
        high = scores >= self.high_score_threshold if self.high_score_threshold > 0 else np.ones(len(scores), bool)
        low = np.flatnonzero(~high & (scores >= self.low_score_threshold)).tolist()

        matches, unmatched_tracks, unmatched_dets = self._match(det_tlwh, measurements, pred_embs,
                                                                np.flatnonzero(high).tolist())
        tracks = self.tracks
        confirmed = tracks.confirmed()  # before this frame's updates
        if low and unmatched_tracks:
            # ByteTrack: a weak detection may continue a confirmed track that was seen in the last frame.
            recent = [k for k in unmatched_tracks if tracks.time_since_update[k] == 1 and confirmed[k]]
            low_matches, _, _ = self._match_iou(tracks.to_tlwh(), det_tlwh, recent, low, _LOW_SCORE_MAX_IOU_DISTANCE)
            matches += low_matches
            unmatched_tracks = [k for k in unmatched_tracks if k not in {t for t, _ in low_matches}]
        if self.observation_centric and unmatched_tracks and unmatched_dets:
            lost = [k for k in unmatched_tracks if confirmed[k]]
            recovered, _, unmatched_dets = self._match_iou(tracks.observed_tlwh(), det_tlwh, lost, unmatched_dets,
                                                           _RECOVERY_MAX_IOU_DISTANCE)
            matches += recovered
            unmatched_tracks = [k for k in unmatched_tracks if k not in {t for t, _ in recovered}]

        rows = np.array([t for t, _ in matches], np.int64)
        dets = np.array([d for _, d in matches], np.int64)
        if self.observation_centric:
            refound = tracks.time_since_update[rows] > 1
            reupdate(self.kf, tracks, rows[refound], measurements[dets[refound]])
        tracks.update(self.kf, rows, measurements[dets], scores[dets], self.n_init,
                      confidence=scores[dets] if self.nsa else None)
        tracks.mark_missed(np.array(unmatched_tracks, np.int64), self.max_age)
        starts = [d for d in unmatched_dets if self.new_track_threshold <= 0 or scores[d] >= self.new_track_threshold]
        new_ids = np.arange(self._next_id, self._next_id + len(starts))
        self._next_id += len(starts)
        mean, covariance = self.kf.initiate(measurements[starts])
        tracks.append(mean, covariance, new_ids, scores[starts])
        if self._with_appearance:
            # Weak detections' crops (occluded, blurred) stay out of the appearance model; they only ever
            # continue confirmed tracks, so no tentative backlog misses them.
            strong = high[dets]
            self._update_gallery(rows[strong], dets[strong], confirmed, new_ids, starts, pred_embs)
        tracks.remove_deleted()
        tlwh = tracks.to_tlwh()
        keep = tracks.confirmed() & (tracks.time_since_update <= self.max_time_since_update)
        keep &= tlwh[:, 2] * tlwh[:, 3] > self.min_box_area
        if self.vertical_ratio > 0:
            keep &= tlwh[:, 2] / tlwh[:, 3] <= self.vertical_ratio
        self._reported = np.flatnonzero(keep), tlwh[keep]
        return Reported(tracks, self._reported[0])

    def outputs(self):
        """Tracks to report for the current frame, as ppdet's engine selects them: confirmed, matched
        in this frame or (with ``max_time_since_update`` 1) the one before, and passing ``min_box_area`` /
        ``vertical_ratio``.

        Returns:
            (ids (K,), tlwhs (K x 4), scores (K,)) arrays.
        """
        rows, tlwh = self._reported
        return self.tracks.track_id[rows], tlwh, self.tracks.score[rows]

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
            return tlwh.astype(np.float64), from_tlwh(tlwh, 'xyah').astype(np.float64)
        xyxy = xyxy.astype(np.float64)
        tlwh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], 1)
        return tlwh, from_tlwh(tlwh, self.kalman_state)

    @staticmethod
    def _match_iou(track_tlwh, det_tlwh, track_rows, det_indices, max_distance):
        """Min-cost matching of some tracks' boxes to some detections on 1 - IoU."""
        if not track_rows or not det_indices:
            return [], list(track_rows), list(det_indices)
        cost = np.ones((len(track_tlwh), len(det_tlwh)))
        cost[np.ix_(track_rows, det_indices)] = 1. - iou(track_tlwh[track_rows], det_tlwh[det_indices])
        return min_cost_matching(cost, max_distance, track_rows, det_indices)

    def _match(self, det_tlwh, measurements, embeddings, det_indices):
        tracks = self.tracks
        n_tracks, n_dets = len(tracks), len(measurements)
        confirmed = np.flatnonzero(tracks.confirmed())
        track_tlwh = tracks.to_tlwh()

        # Cascade over confirmed tracks, pairs outside the Mahalanobis gate forbidden. The cost is the
        # appearance distance; without embeddings it is SORT's 1 - IoU of the predicted box, capped at
        # motion_matching_threshold (at 1 the gate alone decides, so a track lost for a few frames can be
        # found inside its grown gate, but also take a neighbour's detection it does not overlap at all).
        cost = np.full((n_tracks, n_dets), INFTY_COST)
        threshold = self.matching_threshold if self._with_appearance else self.motion_matching_threshold
        if len(confirmed) and n_dets:
            gating = self.kf.gating_distance(tracks.mean[confirmed], tracks.covariance[confirmed], measurements)
            if self._with_appearance:
                distance = self.metric.distance(embeddings, tracks.track_id[confirmed].tolist(),
                                                candidates=gating <= CHI2INV95[4])
                if self.motion_weight:
                    distance = (1. - self.motion_weight) * distance + self.motion_weight * gating
            else:
                distance = 1. - iou(track_tlwh[confirmed], det_tlwh)
            cost[confirmed] = gate_cost_matrix(distance, gating)
        matches_a, unmatched_tracks_a, unmatched_dets = matching_cascade(
            cost, threshold, self.max_age, tracks.time_since_update, confirmed, det_indices)

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
