"""Track state: every track of a tracker as one row of a set of arrays.

The life cycle is deep_sort's: a track starts *tentative*, becomes *confirmed* after ``n_init``
consecutive matches, and is *deleted* when it misses while tentative or misses more than ``max_age``
frames in a row. Keeping all tracks in arrays lets the Kalman filter and the cost matrices work on
all of them at once; :class:`Track` gives the per-track view that ppdet's engine iterates over.
"""

import itertools

import numpy as np

from ..boxes import to_tlwh


class TrackState:
    """Track life-cycle states (plain ints: they are compared per track in hot loops)."""
    Tentative = 1
    Confirmed = 2
    Deleted = 3


class Tracks:
    """All live tracks, one row each, in order of creation.

    Args:
        state (str): the Kalman state's box form, 'xyah' or 'xywh' (see :mod:`.kalman_filter`).

    Attributes:
        mean (ndarray): N x 8 Kalman states (x, y, a, h, vx, vy, va, vh), or (x, y, w, h, ...).
        covariance (ndarray): N x 8 x 8 state covariances.
        track_id (ndarray): N unique ids, counting from 1.
        hits (ndarray): measurement updates so far (the first detection counts as one).
        age (ndarray): frames since creation, counting from 1.
        time_since_update (ndarray): frames since the last match.
        state (ndarray): :class:`TrackState` values.
        score (ndarray): score of the last matched detection.
        observation (ndarray): N x 4 last matched measurement.
        observed_mean, observed_covariance (ndarray): the state right after that measurement, from which
            OC-SORT's re-update restarts when a lost track is found again.
        history (ndarray): N x 3 x 4 last three matched measurements, oldest first (the first one repeated until
            there are three), from which OC-SORT's momentum takes a track's direction.
        skipped_features (ndarray): matches since the track's appearance last took a feature, in which ReID on
            demand matched it without embedding its detection.
    """

    _FIELDS = ('mean', 'covariance', 'track_id', 'hits', 'age', 'time_since_update', 'state', 'score', 'observation',
               'observed_mean', 'observed_covariance', 'history', 'skipped_features')
    _HISTORY = 3  # OC-SORT's delta_t

    def __init__(self, state='xyah'):
        self.form = state
        self.mean = np.zeros((0, 8))
        self.covariance = np.zeros((0, 8, 8))
        self.track_id = np.zeros(0, np.int64)
        self.hits = np.zeros(0, np.int64)
        self.age = np.zeros(0, np.int64)
        self.time_since_update = np.zeros(0, np.int64)
        self.state = np.zeros(0, np.int64)
        self.score = np.zeros(0)
        self.observation = np.zeros((0, 4))
        self.observed_mean = np.zeros((0, 8))
        self.observed_covariance = np.zeros((0, 8, 8))
        self.history = np.zeros((0, self._HISTORY, 4))
        self.skipped_features = np.zeros(0, np.int64)

    def __len__(self):
        return len(self.track_id)

    def __iter__(self):
        return (Track(self, i) for i in range(len(self)))

    def __getitem__(self, i):
        return Track(self, i)

    def confirmed(self):
        return self.state == TrackState.Confirmed

    def to_tlwh(self):
        """Boxes as (top-left x, top-left y, width, height), N x 4."""
        return to_tlwh(self.mean[:, :4], self.form)

    def observed_tlwh(self):
        """The last matched boxes, N x 4 (OC-SORT matches lost tracks on these)."""
        return to_tlwh(self.observation, self.form)

    def directions(self):
        """Unit vectors of each track's centre motion over its history (zero while it has one observation), N x 2."""
        step = self.history[:, -1, :2] - self.history[:, 0, :2]
        norm = np.hypot(step[:, 0], step[:, 1])[:, None]
        return np.divide(step, norm, out=np.zeros_like(step), where=norm > 0)

    def predict(self, kf):
        """Propagate every state one frame ahead; call once per frame before matching."""
        self.mean, self.covariance = kf.predict(self.mean, self.covariance, fresh=self.age == 1)
        self.age += 1
        self.time_since_update += 1

    def coast(self, kf):
        """Propagate every state one frame ahead on a frame without detections: nothing ages, since nothing could
        be matched."""
        self.mean, self.covariance = kf.predict(self.mean, self.covariance, fresh=self.age == 1)

    def update(self, kf, rows, measurements, scores, n_init):
        """Measurement update of the tracks in ``rows`` with their matched detections (in the state's box
        form) and those detections' scores."""
        self.mean[rows], self.covariance[rows] = kf.update(
            self.mean[rows], self.covariance[rows], measurements, fresh=self.hits[rows] == 1, scores=scores)
        self.score[rows] = scores
        self.observation[rows] = measurements
        self.history[rows] = np.concatenate([self.history[rows, 1:], measurements[:, None]], 1)
        self.observed_mean[rows], self.observed_covariance[rows] = self.mean[rows], self.covariance[rows]
        self.hits[rows] += 1
        self.time_since_update[rows] = 0
        promote = rows[(self.state[rows] == TrackState.Tentative) & (self.hits[rows] >= n_init)]
        self.state[promote] = TrackState.Confirmed

    def mark_missed(self, rows, max_age):
        """Tracks in ``rows`` found no detection: tentative ones and ones lost too long are deleted."""
        state = self.state[rows]
        lost = (state == TrackState.Tentative) | (self.time_since_update[rows] > max_age)
        self.state[rows[lost]] = TrackState.Deleted

    def append(self, mean, covariance, track_ids, scores):
        n = len(track_ids)
        if n == 0:
            return
        self.mean = np.concatenate([self.mean, mean])
        self.covariance = np.concatenate([self.covariance, covariance])
        self.track_id = np.concatenate([self.track_id, track_ids])
        self.hits = np.concatenate([self.hits, np.ones(n, np.int64)])
        self.age = np.concatenate([self.age, np.ones(n, np.int64)])
        self.time_since_update = np.concatenate([self.time_since_update, np.zeros(n, np.int64)])
        self.state = np.concatenate([self.state, np.full(n, TrackState.Tentative, np.int64)])
        self.score = np.concatenate([self.score, scores])
        self.observation = np.concatenate([self.observation, mean[:, :4]])
        self.observed_mean = np.concatenate([self.observed_mean, mean])
        self.observed_covariance = np.concatenate([self.observed_covariance, covariance])
        self.history = np.concatenate([self.history, np.repeat(mean[:, None, :4], self._HISTORY, 1)])
        self.skipped_features = np.concatenate([self.skipped_features, np.zeros(n, np.int64)])

    def remove_deleted(self):
        keep = self.state != TrackState.Deleted
        if not keep.all():
            for name in self._FIELDS:
                setattr(self, name, getattr(self, name)[keep])


class Track:
    """View of one row of :class:`Tracks`, with the interface of ppdet's ``Track``.

    Valid until the tracker's next ``update``.
    """

    def __init__(self, tracks, row):
        self._tracks = tracks
        self._row = row

    @property
    def track_id(self):
        return int(self._tracks.track_id[self._row])

    @property
    def score(self):
        return float(self._tracks.score[self._row])

    @property
    def time_since_update(self):
        return int(self._tracks.time_since_update[self._row])

    @property
    def hits(self):
        return int(self._tracks.hits[self._row])

    @property
    def age(self):
        return int(self._tracks.age[self._row])

    @property
    def mean(self):
        return self._tracks.mean[self._row]

    @property
    def covariance(self):
        return self._tracks.covariance[self._row]

    def to_tlwh(self):
        return to_tlwh(self.mean[None, :4], self._tracks.form)[0]

    def to_tlbr(self):
        tlwh = self.to_tlwh()
        return np.concatenate([tlwh[:2], tlwh[:2] + tlwh[2:]])

    def is_tentative(self):
        return self._tracks.state[self._row] == TrackState.Tentative

    def is_confirmed(self):
        return self._tracks.state[self._row] == TrackState.Confirmed

    def is_deleted(self):
        return self._tracks.state[self._row] == TrackState.Deleted

    def __repr__(self):
        state = {TrackState.Tentative: 'tentative', TrackState.Confirmed: 'confirmed', TrackState.Deleted: 'deleted'}
        return 'Track(id={}, tlwh={}, {})'.format(self.track_id, np.round(self.to_tlwh(), 1).tolist(),
                                                  state[int(self._tracks.state[self._row])])


class Reported:
    """Some rows of :class:`Tracks` (the tracks output for a frame), iterable as :class:`Track` views."""

    def __init__(self, tracks, rows):
        self._tracks, self._rows = tracks, rows

    def __len__(self):
        return len(self._rows)

    def __iter__(self):
        return (Track(self._tracks, int(i)) for i in self._rows)


class ReportedTogether:
    """The :class:`Reported` tracks of several classes' trackers, iterable as one."""

    def __init__(self, parts):
        self._parts = parts

    def __len__(self):
        return sum(len(part) for part in self._parts)

    def __iter__(self):
        return itertools.chain.from_iterable(self._parts)


class TrackIds:
    """A sequence's track ids, counting from 1 and shared by its classes' trackers, so that an id names one track
    whatever its class; each id remembers the class of the detection that started its track."""

    def __init__(self):
        self._classes = np.zeros(64, np.int64)  # of ids 1, 2, ...; grown by doubling
        self._count = 0

    def take(self, classes):
        """New ids for tracks started from detections of these classes (N ints)."""
        n = len(classes)
        if self._count + n > len(self._classes):
            self._classes = np.concatenate([self._classes, np.zeros(max(n, len(self._classes)), np.int64)])
        self._classes[self._count:self._count + n] = classes
        self._count += n
        return np.arange(self._count - n + 1, self._count + 1)

    def classes(self, ids):
        """The class of each of these track ids (ints from :meth:`take`)."""
        ids = np.asarray(ids, np.int64)
        if len(ids) and not (ids.min() >= 1 and ids.max() <= self._count):
            raise KeyError("track ids {} are not this sequence's (1 to {})".format(
                ids[(ids < 1) | (ids > self._count)].tolist(), self._count))
        return self._classes[ids - 1]

