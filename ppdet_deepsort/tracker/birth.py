"""Which of a frame's unmatched detections start tracks: a part of the tracker chosen once (keys
``new_track_threshold`` and ``new_track_quantile``).

A false track costs more than the detection it came from: it is confirmed after ``n_init`` frames, reported, and may
take a person's detections later. Scores say which detections are likely people, but each detector and scene has
its own habits (MOT17's FRCNN gives most boxes 1.0, a pedestrian detector on a far static camera 0.8-0.99), so a
fixed floor fits one of them; :class:`QuantileBirth` asks each new track to score among the sequence's own usual.
"""

import numpy as np

__all__ = ['ThresholdBirth', 'QuantileBirth']


class ThresholdBirth:
    """Detections scoring at least ``threshold`` start tracks (-inf: all)."""

    def __init__(self, threshold):
        self.threshold = threshold

    def __call__(self, scores, unmatched):
        """The unmatched detections (indices into this frame's ``scores``) that start tracks, in their order."""
        return [d for d in unmatched if scores[d] >= self.threshold]


class QuantileBirth(ThresholdBirth):
    """Detections scoring at least ``threshold`` and the ``quantile`` of the scores of the last ``window`` detections
    seen (this frame's included) start tracks.

    Args:
        threshold (float): the fixed floor.
        quantile (float): in (0, 1).
        window (int): how many of the latest detections' scores make the distribution.
    """

    def __init__(self, threshold, quantile, window=2000):
        super().__init__(threshold)
        self.quantile = quantile
        self._scores = np.zeros(window)
        self._seen = 0

    def __call__(self, scores, unmatched):
        window = len(self._scores)
        recent = np.asarray(scores, np.float64)[-window:]
        at = (self._seen + np.arange(len(recent))) % window
        self._scores[at] = recent
        self._seen += len(recent)
        floor = np.quantile(self._scores[:min(self._seen, window)], self.quantile) if self._seen else -np.inf
        return [d for d in unmatched if scores[d] >= max(self.threshold, floor)]
