"""Appearance as one exponential moving average feature per track (StrongSORT), instead of deep_sort's gallery.

Each match moves the track's feature towards the detection's: ``f = alpha f + (1 - alpha) e`` on unit vectors,
renormalised. One feature per track is cheaper than a gallery of ``budget`` samples, and it forgets the
occluded, blurred detections that a gallery keeps matching against for ``budget`` frames. Same interface as
:class:`.nn_matching.NearestNeighborDistanceMetric`, cosine distance only.
"""

import numpy as np

from .nn_matching import _refuse_zero_rows


class EMAAppearance:
    """Args:
        alpha (float): weight of the old feature at each update, in [0, 1).
    """

    def __init__(self, alpha):
        self.alpha = alpha
        self._features = {}  # target id -> unit feature

    def check(self, features):
        """Refuse all-zero features: they have no cosine distance."""
        _refuse_zero_rows(features)

    def partial_fit(self, features, targets, active_targets):
        """Fold features (K x D, in order) into their targets' averages, then forget inactive targets."""
        features = np.asarray(features, np.float32)
        for feature, target in zip(features / np.linalg.norm(features, axis=1, keepdims=True), targets):
            old = self._features.get(target)
            if old is not None:
                feature = self.alpha * old + (1 - self.alpha) * feature
                feature /= np.linalg.norm(feature)
            self._features[target] = feature
        active = set(active_targets)
        for target in [t for t in self._features if t not in active]:
            del self._features[target]

    def distance(self, features, targets, candidates=None):
        """Cosine distance (len(targets) x len(features)) of each target's average to each feature; +inf
        outside ``candidates``."""
        if not len(targets) or not len(features):
            return np.full((len(targets), len(features)), np.inf)
        gallery = np.stack([self._features[t] for t in targets])
        query = np.asarray(features, np.float32)
        cost = 1. - gallery @ (query / np.linalg.norm(query, axis=1, keepdims=True)).T
        if candidates is not None:
            cost[~candidates] = np.inf
        return cost.astype(np.float64)
