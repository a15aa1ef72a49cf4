"""What a tracker remembers of its tracks' looks, and how each frame's matches feed it.

:class:`Appearance` keeps an appearance model (deep_sort's gallery, :class:`.nn_matching.NearestNeighborDistanceMetric`,
or StrongSORT's moving average, :class:`.ema_appearance.EMAAppearance`) up to date; :class:`NoAppearance` stands in
when the tracker runs on motion alone.
"""

import numpy as np

from .track import TrackState

__all__ = ['Appearance', 'NoAppearance']


class Appearance:
    """Feeds matched detections' features to ``model``. Confirmed tracks add theirs at once; tentative tracks keep
    theirs aside until they are confirmed (and lose them if deleted), as in deep_sort.

    Args:
        model: the appearance model (``partial_fit(features, targets, active_targets)`` and ``distance``).
    """

    def __init__(self, model):
        self.model = model
        self._backlog = {}  # track id -> features of a tentative track

    def update(self, tracks, rows, dets, was_confirmed, new_ids, new_dets, embeddings):
        """After this frame's track updates and starts: ``rows`` matched ``dets`` (``was_confirmed``: which tracks
        were confirmed before the updates); ``new_ids`` started from ``new_dets``."""
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
        self.model.partial_fit(np.concatenate(features), np.concatenate(targets), active)


class NoAppearance:
    """Motion-only tracking: nothing to remember."""

    def update(self, *args):
        pass
