"""Which of a frame's detections are strong (they take part in every association stage and may start tracks) and
which weak (ByteTrack's low-score detections: they may only continue a track seen in the last frame), chosen once
from the keys ``high_score_threshold``, ``low_score_threshold`` and ``score_boost``.

A detection's score is the detector's belief without the tracks; a box that overlaps where a track seen a moment ago
is predicted is likelier a person than its score says (occluded, blurred). :class:`BoostedSplit` raises each score
to its best IoU with such a track before splitting (BoostTrack's confidence boost), so those boxes join the main
stages instead of waiting for the low-score one.
"""

import numpy as np

from ..boxes import iou

__all__ = ['ScoreSplit', 'BoostedSplit']


class ScoreSplit:
    """Strong: score >= ``high`` (-inf: all); weak: the others scoring at least ``low``."""

    def __init__(self, high, low):
        self.high, self.low = high, low

    def __call__(self, scores, tlwh, tracks):
        """(strong N bools, weak detection indices) of a frame's N detections, after the tracks' prediction."""
        strong = self._scores(scores, tlwh, tracks) >= self.high
        return strong, np.flatnonzero(~strong & (scores >= self.low)).tolist()

    def ahead(self, scores):
        """The strong detections when that can be known before the tracks are predicted, else None."""
        return scores >= self.high

    @staticmethod
    def _scores(scores, tlwh, tracks):
        return scores


class BoostedSplit(ScoreSplit):
    """As :class:`ScoreSplit`, on each score raised to its best IoU with the predicted box of a confirmed track
    matched in the last frame."""

    def ahead(self, scores):
        return None

    @staticmethod
    def _scores(scores, tlwh, tracks):
        seen = tracks.confirmed() & (tracks.time_since_update == 1)
        if not seen.any() or not len(scores):
            return scores
        return np.maximum(scores, iou(tlwh, tracks.to_tlwh()[seen]).max(1))
