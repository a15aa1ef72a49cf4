"""The tracker's settings: one typed, validated object, read once (YAML section ``FastDeepSORTTracker``).

Its fields are the registered tracker's constructor keys in their order: ppdet reads the component's schema (keys,
types, defaults, and the descriptions below) from that constructor, configs and ppdet's engine may pass them by
position. The first ten are ppdet's ``DeepSORTTracker`` keys; ``ppdet_compat`` forbids changing any key after them.
"""

import dataclasses
import inspect
from typing import List, Literal, Union

from ..checks import check_types, require
from ..errors import ConfigError
from .kalman_filter import VELOCITY_NOISE

__all__ = ['TrackerOptions', 'PPDET_KEYS']

# The keys that only one mode reads (ppdet's own keys are left out: ppdet's configs set them in both modes).
_APPEARANCE_ONLY = ('appearance', 'ema_alpha', 'motion_weight', 'reid_policy', 'reid_min_iou', 'reid_refresh',
                    'reid_classes')
_MOTION_ONLY = ('motion_matching_threshold', 'motion_gate', 'momentum_weight')

# ppdet 2.6's DeepSORTTracker keys, in its order: the first fields, followed by ppdet_compat
PPDET_KEYS = ('input_size', 'min_box_area', 'vertical_ratio', 'budget', 'max_age', 'n_init', 'metric_type',
              'matching_threshold', 'max_iou_distance', 'motion')


@dataclasses.dataclass(frozen=True)
class TrackerOptions:
    """Args:
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
        camera_motion (str): compensate the camera's motion before matching (:mod:`.camera_motion`): 'detections'
            estimates it from the detections themselves (the shift and zoom that bring the most tracks seen in the
            last frame onto a detection at once, :mod:`.detection_motion`; no frames needed, so it works on saved
            detections and in ppdet's engine, well under a millisecond a frame); 'frames' from the frames
            (BoT-SORT's sparse optical flow; the tools then read the frames even without a ReID model, the tracker
            needs each frame, ``predict(image)``, and it costs milliseconds); 'none'. true and false are read as
            'frames' and 'none'. Default 'none'.
        motion_gate (bool): without embeddings, the cascade forbids pairs outside the chi-square 0.95 Mahalanobis
            gate (deep_sort); false leaves ``motion_matching_threshold`` alone to decide (SORT, ByteTrack), which
            holds when the camera moves faster than the Kalman filter's noise expects. Default True.
        velocity_noise (float): the Kalman filter's velocity process noise per frame, relative to the box height
            (width for x and w in the xywh state). A camera's motion is the targets' motion in the image: a larger
            value lets the velocity follow a panning or shaking camera. Default 0.00625 (deep_sort's 1/160).
        momentum_weight (float): without embeddings, OC-SORT's observation-centric momentum: the cascade's cost of
            a pair it would match is lowered by this x the detection's score x (pi/2 - angle) / pi, angle between
            the track's direction over its last three observations and the way from its last observation to the
            detection. OC-SORT uses 0.2; 0 is off. Default 0.
        matching_cascade (bool): match confirmed tracks level by level of frames since their last match, recently
            seen tracks first (deep_sort); false: one global assignment over them all (StrongSORT). Default True.
        reid_policy (str): which detections are embedded by the ReID model: 'always' every one (deep_sort);
            'on_demand' only those whose match the appearance can change: a detection that is the only candidate
            (inside the gate or overlapping) of a confirmed track matched in the last frame, that track its only
            candidate, at IoU >= ``reid_min_iou`` with its predicted box, is matched on motion alone and its track keeps
            its appearance (:mod:`.reid_policy`). With appearance only. Default 'always'.
        reid_min_iou (float): with ``reid_policy: on_demand``, the lowest IoU of a pair matched without embedding.
            Default 0.7.
        reid_refresh (int): with ``reid_policy: on_demand``, a track matched without embedding has its detection
            embedded at least every this many matches (1: always, but sure pairs still matched on motion alone).
            Default 2.
        reference_fps (float): the frame rate at which ``max_age``, ``n_init`` and ``max_time_since_update`` are
            counted: each sequence scales them to its own frame rate (seqinfo.ini's frameRate, the video's, or
            ``--frame_rate``), so that they are times (max_age 70 at reference_fps 30: 2.3 s, 16 frames at 7 fps;
            max_time_since_update 1: 1 frame from 15 fps up, 0 below; n_init at least 1). 0 counts frames whatever
            the frame rate (deep_sort, ppdet). Default 0.
        new_track_quantile (float): a detection starts a track only when its score also reaches this quantile of
            the scores of the sequence's last 2000 detections (each detector and scene has its own score habits,
            so a fixed ``new_track_threshold`` fits one of them); 0 is off. Default 0.
        score_boost (bool): before detections are split at ``high_score_threshold``, raise each score to its best
            IoU with the predicted box of a confirmed track matched in the last frame (BoostTrack's confidence boost),
            so that an occluded person's weak box near its track takes part in every stage (:mod:`.score_split`);
            births still need the detection's own score. Default False.
        per_class (bool): each class (the detector's class id, or a detection file's class column) is tracked apart:
            a track matches only detections of its class, and its class is reported with it (the tables' class
            column, the MOTChallenge file's eighth with ``metric: MCMOT``); ids stay unique across classes. A single
            class tracks exactly as without. false (and ``ppdet_compat``) tracks every class together, as ppdet's
            ``DeepSORTTracker`` does, each track reported with the class of the detection that started it.
            Default True.
        reid_classes (list[int]): with a ReID model, the classes tracked with appearance embeddings; the others
            are tracked on motion alone (as ``reid: None`` would, with the motion-only keys of this section), and
            their crops are not embedded. The bundled ReID models learned people: a COCO detector's people are
            class 0. [] tracks every class with appearance. Default [].
    """

    input_size: List[int] = dataclasses.field(default_factory=lambda: [64, 192])
    min_box_area: float = 0
    vertical_ratio: float = -1
    budget: int = 100
    max_age: int = 70
    n_init: int = 3
    metric_type: Literal['cosine', 'euclidean'] = 'cosine'
    matching_threshold: float = 0.2
    max_iou_distance: float = 0.9
    motion: Literal['KalmanFilter'] = 'KalmanFilter'
    ppdet_compat: bool = False
    max_time_since_update: int = 1
    motion_matching_threshold: float = 1.
    high_score_threshold: float = 0.
    low_score_threshold: float = 0.
    new_track_threshold: float = 0.
    observation_centric: bool = False
    appearance: Literal['gallery', 'ema'] = 'gallery'
    ema_alpha: float = 0.9
    motion_weight: float = 0.
    nsa: bool = False
    kalman_state: Literal['xyah', 'xywh'] = 'xyah'
    camera_motion: Union[bool, Literal['none', 'detections', 'frames']] = 'none'
    motion_gate: bool = True
    velocity_noise: float = VELOCITY_NOISE
    momentum_weight: float = 0.
    matching_cascade: bool = True
    reid_policy: Literal['always', 'on_demand'] = 'always'
    reid_min_iou: float = 0.7
    reid_refresh: int = 2
    reference_fps: float = 0.
    new_track_quantile: float = 0.
    score_boost: bool = False
    per_class: bool = True
    reid_classes: List[int] = dataclasses.field(default_factory=list)

    def __post_init__(self):
        name = 'FastDeepSORTTracker'
        check_types(name, TrackerOptions, {f.name: getattr(self, f.name) for f in dataclasses.fields(self)})
        require(name, 'input_size', len(self.input_size) == 2 and min(self.input_size) > 0,
                '[w, h] of positive ints', self.input_size)
        require(name, 'budget', self.budget >= 1, 'an int >= 1', self.budget)
        require(name, 'max_time_since_update', self.max_time_since_update >= 0, 'an int >= 0',
                self.max_time_since_update)
        require(name, 'max_age', self.max_age >= 1, 'an int >= 1', self.max_age)
        require(name, 'n_init', self.n_init >= 1, 'an int >= 1', self.n_init)
        require(name, 'matching_threshold', self.matching_threshold >= 0, 'a distance >= 0', self.matching_threshold)
        require(name, 'max_iou_distance', 0 <= self.max_iou_distance <= 1, 'a value in [0, 1]',
                self.max_iou_distance)
        require(name, 'motion_matching_threshold', 0 <= self.motion_matching_threshold <= 1, 'a value in [0, 1]',
                self.motion_matching_threshold)
        require(name, 'low_score_threshold', self.low_score_threshold <= self.high_score_threshold,
                'at most high_score_threshold ({})'.format(self.high_score_threshold), self.low_score_threshold)
        require(name, 'velocity_noise', self.velocity_noise > 0, 'a value > 0', self.velocity_noise)
        require(name, 'momentum_weight', 0 <= self.momentum_weight <= 1, 'a value in [0, 1]', self.momentum_weight)
        require(name, 'ema_alpha', 0 <= self.ema_alpha < 1, 'a value in [0, 1)', self.ema_alpha)
        require(name, 'reid_min_iou', 0 < self.reid_min_iou <= 1, 'a value in (0, 1]', self.reid_min_iou)
        require(name, 'reid_refresh', self.reid_refresh >= 1, 'an int >= 1', self.reid_refresh)
        require(name, 'motion_weight', 0 <= self.motion_weight <= 1, 'a value in [0, 1]', self.motion_weight)
        require(name, 'appearance', self.appearance == 'gallery' or self.metric_type == 'cosine',
                "'gallery' with metric_type euclidean (the moving average is cosine only)", self.appearance)
        require(name, 'reference_fps', self.reference_fps >= 0, 'a frame rate >= 0 (0: counts in frames)',
                self.reference_fps)
        require(name, 'new_track_quantile', 0 <= self.new_track_quantile < 1, 'a value in [0, 1)',
                self.new_track_quantile)
        require(name, 'reid_classes', self.per_class or not self.reid_classes,
                '[] with per_class false (classes tracked together share one matching)', self.reid_classes)
        if isinstance(self.camera_motion, bool):  # the key was a switch for the frames' compensation
            object.__setattr__(self, 'camera_motion', 'frames' if self.camera_motion else 'none')
        changed = self.changed_beyond_ppdet()
        require(name, 'ppdet_compat', not (self.ppdet_compat and changed),
                "false when options beyond ppdet's are set ({})".format(', '.join(changed)), self.ppdet_compat)
        object.__setattr__(self, 'input_size', list(self.input_size))
        object.__setattr__(self, 'reid_classes', sorted(set(self.reid_classes)))

    def check_mode(self, with_appearance):
        """Refuse, naming it, a key set to other than its default that does nothing when tracking with appearance
        embeddings (``with_appearance``) or on motion alone."""
        unused, needs = ((_MOTION_ONLY, 'motion-only tracking (DeepSORT.reid: None, or classes left out of '
                                        'reid_classes)') if with_appearance else
                         (_APPEARANCE_ONLY, 'appearance embeddings (a ReID model, DeepSORT.reid)'))
        if with_appearance and self.reid_classes:  # the classes left out of reid_classes track on motion alone
            unused = ()
        for f in dataclasses.fields(self):
            if f.name in unused and getattr(self, f.name) != _default(f):
                raise ConfigError("FastDeepSORTTracker.{}: {} does nothing {}; it needs {}: leave it out or set it "
                                  "to its default {!r}".format(
                                      f.name, getattr(self, f.name), 'with appearance embeddings' if with_appearance
                                      else 'on motion alone', needs, _default(f)))

    def changed_beyond_ppdet(self):
        """The keys ppdet's ``DeepSORTTracker`` does not have that are set to other than their defaults."""
        return [f.name for f in dataclasses.fields(self)[len(PPDET_KEYS) + 1:] if getattr(self, f.name) != _default(f)]


def _default(field):
    return field.default_factory() if field.default is dataclasses.MISSING else field.default


def signature():
    """The options as a constructor signature (``self`` first), for the registered tracker: ppdet reads a
    component's keys, types and defaults from its ``__init__``."""
    params = [inspect.Parameter('self', inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=_default(f),
                                 annotation=f.type) for f in dataclasses.fields(TrackerOptions)]
    return inspect.Signature(params)
