"""Which detections of a frame need an appearance embedding: the tracker's ReID policy (``reid_policy``).

The ReID model is most of a frame's time on a CPU, yet most detections have exactly one plausible track. Before any
embedding, a policy looks at the predicted tracks and the frame's detections on motion alone and returns a
:class:`Plan`: the pairs it matches without looking (their tracks keep their appearance as it is) and the detections
that must be embedded. :class:`EmbedAll` embeds every detection (deep_sort); :class:`OnDemand` only those whose
match the appearance can change.

The plan is a function of the tracker's state and the detections alone, so a caller that embeds every detection
anyway (ppdet's engine) and one that embeds only what the plan asks for (the plugin's runner) track alike.
"""

import numpy as np

from ..boxes import iou
from .kalman_filter import CHI2INV95

__all__ = ['Plan', 'EmbedAll', 'OnDemand']


class Plan:
    """Attributes:
        sure (list[tuple[int, int]]): (track row, detection) pairs matched before the association stages.
        embed (ndarray): N bools: the detections whose embeddings the tracker reads.
    """

    def __init__(self, sure, embed):
        self.sure, self.embed = sure, embed


class EmbedAll:
    """``reid_policy: always``: every strong detection is embedded and every pair goes through the stages."""

    def plan(self, kf, tracks, frame):
        return Plan([], frame.strong.copy())

    @staticmethod
    def ahead(strong):
        """Which detections will be embedded, known before the tracks are (so a caller may embed them ahead):
        the strong ones."""
        return strong.copy()


class OnDemand:
    """``reid_policy: on_demand``: a detection and a track are matched on motion alone, the detection left
    unembedded, when

    * the track is confirmed and was matched in the last frame,
    * the detection is the only one that could match the track, and the track the only one (confirmed, tentative or
      lost) that could match the detection, "could" meaning inside the track's Mahalanobis gate or overlapping its
      predicted box, so no other stage would have a choice to make between them,
    * and its IoU with the track's predicted box is at least ``min_iou``.

    Every other detection is embedded: new ones, contested ones, those near a lost or tentative track (whose gates
    are wide). A sure pair's detection is embedded too when its track has gone ``refresh`` - 1 matches without a
    feature, so that a track's look follows it even while it walks alone. (Weighting that feature as the matches it
    stands for, the moving average's old value kept at ``alpha ** refresh``, measured far worse on the PETS09 dev
    frames, HOTA -5: a frame's crop is often half occluded, and the average owes its worth to many of them.)

    Args:
        min_iou (float): the lowest IoU of a sure pair (``reid_min_iou``).
        refresh (int): a track matched on motion alone has its detection embedded at least every this many matches
            (``reid_refresh``).
    """

    def __init__(self, min_iou, refresh):
        self.min_iou, self.refresh = min_iou, refresh

    @staticmethod
    def ahead(strong):
        """None: which detections need embedding depends on the tracks."""
        return None

    def plan(self, kf, tracks, frame):
        embed = frame.strong.copy()  # weak detections stay out of the appearance model: never embedded
        if not len(tracks) or not embed.any():
            return Plan([], embed)
        overlap = iou(tracks.to_tlwh(), frame.tlwh)
        gating = kf.gating_distance(tracks.mean, tracks.covariance, frame.measurements)
        candidate = ((gating <= CHI2INV95[4]) | (overlap > 0)) & frame.strong[None, :]
        alone = candidate & (candidate.sum(1) == 1)[:, None] & (candidate.sum(0) == 1)[None, :]
        rows, dets = np.nonzero(alone)
        sure = (tracks.confirmed()[rows] & (tracks.time_since_update[rows] == 1)
                & (overlap[rows, dets] >= self.min_iou))
        rows, dets = rows[sure], dets[sure]
        embed[dets] = tracks.skipped_features[rows] + 1 >= self.refresh
        return Plan(list(zip(rows.tolist(), dets.tolist())), embed)
