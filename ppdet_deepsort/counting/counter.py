"""Counting one sequence's tracks, as PP-Tracking's ``--do_entrance_counting`` / ``--do_break_in_counting`` /
``--secs_interval`` do, by the path of each track's feet (its box's bottom centre) with hysteresis
(:mod:`.regions`): per region its events, per interval of ``secs_interval`` seconds the events and the distinct
ids seen there (PP-Tracking's "count during N secs"), and the totals. Written as JSON and CSV beside the results.
"""

import collections
import csv
import io
import json

import numpy as np

from ..utils.atomic import atomic_write

__all__ = ['Counter']


class Counter:
    """Args:
        regions (dict or callable): {name: :class:`.regions.Line` or :class:`.regions.Polygon`}, e.g.
            {'entrance': Line(...)}; or (width, height) -> that, for regions placed by the frame's size when it is
            known only from the first frame (a live stream): :meth:`frame_size` then places them.
        frame_rate (float): the sequence's frames per second (frame k is at (k - 1) / frame_rate seconds).
        secs_interval (float): the length of a counting interval in seconds.
    """

    def __init__(self, regions, frame_rate, secs_interval):
        self._place = regions if callable(regions) else None
        self.regions = {} if callable(regions) else dict(regions)
        self.frame_rate, self.secs_interval = float(frame_rate), float(secs_interval)
        self.events = []  # (frame id, seconds, track id, region, event, class)
        self._seen = collections.defaultdict(set)  # interval -> ids
        self._ids = set()  # every id reported
        self._counts = collections.Counter()  # (class, region, event) -> count so far
        self._last_interval = 0

    @property
    def needs_frame_size(self):
        return self._place is not None

    def frame_size(self, width, height):
        """The frames' size, which places regions given as a function of it."""
        if self._place is not None:
            self.regions, self._place = dict(self._place(width, height)), None

    def add(self, frame_id, ids, tlwhs, classes=None):
        """Count one frame's reported tracks (ids, K x 4 tlwh boxes, K classes or None: 0)."""
        tlwhs = np.asarray(tlwhs, np.float64).reshape(-1, 4)
        feet = np.c_[tlwhs[:, 0] + tlwhs[:, 2] / 2, tlwhs[:, 1] + tlwhs[:, 3]]
        seconds = (frame_id - 1) / self.frame_rate
        ids = np.asarray(ids).tolist()
        for name, region in self.regions.items():
            for track_id, event in region.update(ids, feet, tlwhs[:, 3]):
                cls = 0 if classes is None else int(classes[ids.index(track_id)])
                self.events.append((frame_id, round(seconds, 3), track_id, name, event, cls))
                self._counts[cls, name, event] += 1
        interval = self._interval(frame_id)
        self._seen[interval].update(ids)
        self._ids.update(ids)
        self._last_interval = max(self._last_interval, interval)

    def _interval(self, frame_id):
        return int((frame_id - 1) // (self.frame_rate * self.secs_interval))

    def totals(self):
        """{'ids': distinct ids reported, region: {event: count}, 'by_class': {class: {region: {event: count}}} of the
        classes counted}."""
        classes = sorted({key[0] for key in self._counts})
        counts = {'ids': len(self._ids)}
        for name, region in self.regions.items():
            counts[name] = {event: sum(self._counts[cls, name, event] for cls in classes) for event in region.events}
        counts['by_class'] = {cls: {name: {event: self._counts[cls, name, event] for event in region.events}
                                    for name, region in self.regions.items()} for cls in classes}
        return counts

    def intervals(self):
        """Per interval of ``secs_interval`` seconds: start and end (s), distinct ids seen, and each region's
        events, as flat dicts (the CSV's rows)."""
        counts = collections.Counter((self._interval(e[0]), e[3], e[4]) for e in self.events)
        rows = []
        for k in range(self._last_interval + 1):
            row = {'interval': k, 'start_s': round(k * self.secs_interval, 3),
                   'end_s': round((k + 1) * self.secs_interval, 3), 'ids': len(self._seen.get(k, ()))}
            for name, region in self.regions.items():
                row.update({'{}_{}'.format(name, event): counts[k, name, event] for event in region.events})
            rows.append(row)
        return rows

    def summary(self):
        return {'frame_rate': self.frame_rate, 'secs_interval': self.secs_interval,
                'regions': {name: {'kind': type(r).__name__.lower(), 'points': r.points().round(1).tolist()}
                            for name, r in self.regions.items()},
                'totals': self.totals(), 'intervals': self.intervals(),
                'events': [dict(zip(('frame', 'seconds', 'id', 'region', 'event', 'class'), e)) for e in self.events]}

    def write(self, json_path, csv_path, durable=True):
        """Write the summary as JSON and the intervals (and a total row) as CSV, each atomically."""
        with atomic_write(json_path, durable=durable) as f:
            json.dump(self.summary(), f, indent=1)
            f.write('\n')
        rows = self.intervals()
        text = io.StringIO()
        columns = list(rows[0]) if rows else ['interval', 'start_s', 'end_s', 'ids']
        writer = csv.DictWriter(text, columns, lineterminator='\n')
        writer.writeheader()
        writer.writerows(rows)
        total = {'interval': 'total', 'start_s': 0, 'end_s': round(len(rows) * self.secs_interval, 3)}
        totals = self.totals()
        total['ids'] = totals['ids']
        for name in self.regions:
            total.update({'{}_{}'.format(name, event): n for event, n in totals[name].items()})
        writer.writerow(total)
        with atomic_write(csv_path, durable=durable) as f:
            f.write(text.getvalue())

    def lines(self):
        """What the annotated frames show: one line per region with its totals."""
        totals = self.totals()
        return ['{}: {}'.format(name.replace('_', ' '), ', '.join(
            '{} {}'.format(event, n) if len(totals[name]) > 1 else str(n) for event, n in totals[name].items()))
            for name in self.regions]
