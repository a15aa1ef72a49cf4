"""Appearance gallery: the nearest-neighbour distance metric of deep_sort, vectorized.

Each target keeps its last ``budget`` features in a ring buffer; all buffers live in one array of
shape (targets, budget, D), kept dense (target k in row k) so that adding a frame's features is one
scatter. Distances are only computed for the (target, detection) pairs the caller asks for: the
pairs inside the motion gate, a small fraction of all pairs.
"""

import numpy as np


class NearestNeighborDistanceMetric:
    """For each target, the smallest distance of any of its last ``budget`` features to a query.

    Args:
        metric (str): 'cosine' (1 - cosine similarity) or 'euclidean' (squared distance).
        matching_threshold (float): associations with a larger distance are not allowed.
        budget (int): features kept per target; the oldest is dropped first.
    """

    def __init__(self, metric, matching_threshold, budget):
        if metric not in ('cosine', 'euclidean'):
            raise ValueError("metric must be 'cosine' or 'euclidean', got {!r}".format(metric))
        self.metric = metric
        self.matching_threshold = matching_threshold
        self.budget = budget
        self._row = {}  # target id -> row of the gallery arrays
        self._targets = []  # row -> target id
        self._samples = None  # (capacity, budget, D); for 'cosine' the features are stored L2-normalized
        self._sqnorms = None  # (capacity, budget) squared norms, for 'euclidean'
        self._count = np.zeros(0, np.int64)  # valid samples per row
        self._head = np.zeros(0, np.int64)  # ring-buffer write position per row

    def check(self, features):
        """Refuse features the metric cannot compare (all-zero rows have no cosine distance)."""
        if self.metric == 'cosine':
            _refuse_zero_rows(features)

    def _prepare(self, features):
        features = np.asarray(features, dtype=np.float32)
        if self.metric == 'cosine':
            return features / np.linalg.norm(features, axis=1, keepdims=True)
        return features

    def _ensure_capacity(self, n, dim):
        if self._samples is None:
            self._samples = np.zeros((max(16, n), self.budget, dim), np.float32)
            self._sqnorms = np.zeros((max(16, n), self.budget), np.float32)
            self._count = np.zeros(max(16, n), np.int64)
            self._head = np.zeros(max(16, n), np.int64)
        if self._samples.shape[2] != dim:
            raise ValueError("embedding size changed from {} to {}".format(self._samples.shape[2], dim))
        capacity = len(self._samples)
        if n > capacity:
            grow = max(n, 2 * capacity) - capacity
            self._samples = np.concatenate([self._samples, np.zeros((grow, ) + self._samples.shape[1:], np.float32)])
            self._sqnorms = np.concatenate([self._sqnorms, np.zeros((grow, self.budget), np.float32)])
            self._count = np.concatenate([self._count, np.zeros(grow, np.int64)])
            self._head = np.concatenate([self._head, np.zeros(grow, np.int64)])

    def partial_fit(self, features, targets, active_targets):
        """Add features (K x D) of the given targets (K ids), then forget every target not in
        ``active_targets``."""
        self._forget_all_but(set(active_targets))
        if len(targets) == 0:
            return
        features = self._prepare(features)
        first_new = len(self._targets)
        for t in targets:
            if t not in self._row:
                self._row[t] = len(self._targets)
                self._targets.append(t)
        self._ensure_capacity(len(self._targets), features.shape[1])
        self._count[first_new:len(self._targets)] = 0
        self._head[first_new:len(self._targets)] = 0

        rows = np.array([self._row[t] for t in targets], np.int64)
        if len(set(targets)) == len(targets):
            self._push(rows, features)
            return
        unique, first, counts = np.unique(rows, return_index=True, return_counts=True)
        single = counts == 1
        self._push(unique[single], features[first[single]])
        # Targets confirmed in this frame bring their whole backlog: push it in order, oldest first.
        for row in unique[~single].tolist():
            for feature in features[rows == row]:
                self._push(np.array([row]), feature[None])

    def _push(self, rows, features):
        """Write one feature into each of ``rows`` (distinct), replacing its oldest once full."""
        pos = self._head[rows]
        self._samples[rows, pos] = features
        if self.metric == 'euclidean':
            self._sqnorms[rows, pos] = np.square(features).sum(axis=1)
        self._head[rows] = (pos + 1) % self.budget
        self._count[rows] = np.minimum(self._count[rows] + 1, self.budget)

    def _forget_all_but(self, active):
        for t in [t for t in self._targets if t not in active]:
            row, last = self._row.pop(t), len(self._targets) - 1
            if row != last:
                # Keep the arrays dense: the last row moves into the hole.
                moved = self._targets[last]
                self._samples[row] = self._samples[last]
                self._sqnorms[row] = self._sqnorms[last]
                self._count[row], self._head[row] = self._count[last], self._head[last]
                self._targets[row] = moved
                self._row[moved] = row
            self._targets.pop()

    def distance(self, features, targets, candidates=None):
        """Cost matrix (len(targets) x len(features)): nearest-sample distance of each target to each
        feature.

        ``candidates`` (bool, same shape) limits the work to the pairs that can still be matched, e.g.
        those inside the motion gate; other entries are +inf. Most pairs fall outside the gate, so this
        saves most of the products of the gallery with the queries.
        """
        cost = np.full((len(targets), len(features)), np.inf)
        if candidates is None:
            candidates = np.ones(cost.shape, bool)
        n_rows = len(self._targets)
        rows = np.array([self._row[t] for t in targets], np.int64)
        wanted = np.zeros((n_rows, len(features)), bool)
        wanted[rows] = candidates
        per_row = wanted.sum(axis=1)
        width = int(per_row.max()) if n_rows else 0
        if width == 0:
            return cost
        # Each gallery row against its own candidate detections only (padded to the widest row). The
        # gallery is read once; einsum's batched dot products beat BLAS on these thin shapes.
        picked = np.argsort(~wanted, axis=1, kind='stable')[:, :width]
        real = np.arange(width)[None, :] < per_row[:, None]
        query = self._prepare(features)[picked]  # (rows, width, D)
        depth = int(self._count[:n_rows].max())
        samples = self._samples[:n_rows, :depth]
        dots = np.einsum('rsd,rwd->rws', samples, query)  # (rows, width, depth)
        partial = np.flatnonzero(self._count[:n_rows] < depth)  # rows whose gallery is not full yet
        empty = np.arange(depth)[None, :] >= self._count[partial, None]
        if self.metric == 'cosine':
            dots[partial] = np.where(empty[:, None, :], -np.inf, dots[partial])
            # 1 - max(dot) is min(1 - dot) exactly: rounding is monotonic.
            dist = 1. - dots.max(axis=2)
        else:
            d = np.maximum(0., -2. * dots + self._sqnorms[:n_rows, None, :depth]
                           + np.square(query).sum(axis=2)[:, :, None])
            d[partial] = np.where(empty[:, None, :], np.inf, d[partial])
            dist = d.min(axis=2)
        by_row = np.full((n_rows, len(features)), np.inf)
        by_row[np.nonzero(real)[0], picked[real]] = dist[real]
        return by_row[rows]


def _refuse_zero_rows(features):
    zero = ~np.abs(features).any(axis=1)
    if zero.any():
        raise ValueError("pred_embs rows {} are all zero: no cosine distance".format(np.flatnonzero(zero).tolist()))
