"""Where a track is relative to a counting line or area, with hysteresis: a track's point must go past the boundary
by a margin (a fraction of its box's height) before its side changes, so a person standing on the line, or a box
jittering across it, is not counted again and again.

Each region keeps, per track, the last side the track was clearly on, and turns a change of side into an event:
:class:`Line` 'in' (onto its right-hand side, seen walking from its first point to its second) or 'out';
:class:`Polygon` 'in' (entering the area; a track first seen inside has not entered).
"""

import numpy as np

__all__ = ['Line', 'Polygon']


class _Region:
    """Args:
        margin (float): how far past the boundary a point must be, in its box's heights, to change side.
    """

    events = ()

    def __init__(self, margin=0.1):
        self.margin = margin
        self._side = {}  # track id -> +1 / -1, the last side it was clearly on

    def update(self, ids, points, heights):
        """Move the tracks ``ids`` to ``points`` (K x 2, image pixels; ``heights`` their boxes' heights). Returns
        [(track id, event)] for the tracks that changed side."""
        distance = self.signed_distance(np.asarray(points, np.float64).reshape(-1, 2))
        margin = self.margin * np.asarray(heights, np.float64)
        events = []
        for track_id, d, m, near in zip(np.asarray(ids).tolist(), distance, margin, self.within(points)):
            if not near:  # beside a line's ends: going round it is no crossing
                self._side.pop(track_id, None)
                continue
            side = 1 if d > m else -1 if d < -m else 0
            if side == 0:
                continue
            before = self._side.get(track_id)
            self._side[track_id] = side
            if before is not None and before != side:
                event = self._event(side)
                if event:
                    events.append((track_id, event))
        return events

    def within(self, points):
        return np.ones(len(points), bool)


class Line(_Region):
    """A counting line from ``start`` to ``end`` (pixels): 'in' is a crossing onto its right-hand side as seen walking
    from ``start`` to ``end`` (for PP-Tracking's horizontal line, left to right across the frame's middle: moving
    down; for its vertical line, bottom to top: moving right), 'out' the other way. Only crossings within the segment
    count (the point's projection on it between its ends)."""

    events = ('in', 'out')

    def __init__(self, start, end, margin=0.1):
        super().__init__(margin)
        self.start, self.end = np.asarray(start, np.float64), np.asarray(end, np.float64)
        self._direction = self.end - self.start
        self._length = float(np.hypot(*self._direction))
        if self._length == 0:
            raise ValueError('a counting line needs two different points, got {} twice'.format(self.start.tolist()))

    def signed_distance(self, points):
        relative = points - self.start
        return (self._direction[0] * relative[:, 1] - self._direction[1] * relative[:, 0]) / self._length

    def within(self, points):
        along = (np.asarray(points, np.float64).reshape(-1, 2) - self.start) @ self._direction / self._length ** 2
        return (along >= 0) & (along <= 1)

    @staticmethod
    def _event(side):
        return 'in' if side > 0 else 'out'

    def points(self):
        return np.array([self.start, self.end])


class Polygon(_Region):
    """A counting area (``points``: its corners, pixels, in order): 'in' when a track seen outside comes inside."""

    events = ('in',)

    def __init__(self, points, margin=0.1):
        super().__init__(margin)
        self.corners = np.asarray(points, np.float64).reshape(-1, 2)
        if len(self.corners) < 3:
            raise ValueError('a counting area needs at least 3 corners, got {}'.format(len(self.corners)))

    def signed_distance(self, points):
        """Distance to the boundary, positive inside (even-odd rule)."""
        a, b = self.corners, np.roll(self.corners, -1, axis=0)
        edge = b - a  # E x 2
        rel = points[:, None, :] - a[None]  # K x E x 2
        t = np.clip((rel * edge).sum(-1) / np.maximum((edge * edge).sum(-1), 1e-12), 0, 1)
        nearest = np.hypot(*(rel - t[..., None] * edge).transpose(2, 0, 1)).min(1)
        y = points[:, 1:2]
        crosses = ((a[:, 1] > y) != (b[:, 1] > y)) & (
            points[:, :1] < a[:, 0] + (y - a[:, 1]) * edge[:, 0] / np.where(edge[:, 1] == 0, 1e-12, edge[:, 1]))
        inside = crosses.sum(1) % 2 == 1
        return np.where(inside, nearest, -nearest)

    @staticmethod
    def _event(side):
        return 'in' if side > 0 else None

    def points(self):
        return self.corners
