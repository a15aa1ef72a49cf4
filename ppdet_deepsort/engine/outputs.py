"""What tracking one sequence leaves on disk, in PaddleDetection's layout::

    {output_dir}/mot_results/{seq}.txt            MOTChallenge results: frame,id,x,y,w,h,score,-1,-1,-1 (the class
                                                  in place of the first -1 with ``metric: MCMOT``)
    {output_dir}/mot_results/{seq}.csv, .jsonl    the same rows with the time, class and state (save_format: csv,
                                                  json): frame,seconds,id,class,x,y,w,h,score,state
    {output_dir}/mot_outputs/{seq}/00000.jpg      annotated frames (--save_images), named by 0-based frame
    {output_dir}/mot_outputs/{seq}_vis.mp4        annotated video (--save_videos)
    {output_dir}/mot_manifests/{seq}.json         what the results were computed from (written by the runner,
                                                  read by --resume, see :mod:`.manifest`)
    {output_dir}/mot_counts/{seq}.json, .csv       counts across lines and into areas (with counting on, see
                                                  :mod:`ppdet_deepsort.counting`)

The results file appears only when the sequence finished, complete (written atomically). When it fails,
what was tracked is kept as ``{seq}.txt.partial`` and ``{seq}_vis.partial.mp4`` instead, so nothing is
lost and no truncated file can pass for a result. A live stream, which has no end to wait for, also appends its
results to ``{seq}.txt.partial`` at a bounded interval (``flush_interval``), so that a killed run keeps them.

A write that fails (full disk, file-size limit, unwritable folder) raises :class:`~ppdet_deepsort.errors.OutputError`
naming the file; :meth:`SequenceOutputs.discard` then removes what was half written.
"""

import contextlib
import copy
import json
import logging
import os
import resource
import shutil
import threading

import cv2
import numpy as np

from ..errors import OutputError
from ..utils.atomic import atomic_write, output_error
from ..utils.visualize import TrackDrawer, draw_regions

logger = logging.getLogger(__name__)

__all__ = ['SequenceOutputs', 'write_mot_results']


def _lines(results, frame_ids, classes=None):
    for frame_id in frame_ids:
        ids, tlwhs, scores = results[frame_id]
        for track_id, (x, y, w, h), score in zip(ids.tolist(), tlwhs.tolist(), scores.tolist()):
            yield '{},{},{:.2f},{:.2f},{:.2f},{:.2f},{:.4f},{},-1,-1\n'.format(
                frame_id, track_id, x, y, w, h, score, -1 if classes is None else classes[track_id])


def write_mot_results(path, results, classes=None):
    """Write {frame id: (ids, tlwh, scores)} as a MOTChallenge file, frames in order, atomically; with ``classes``
    ({track id: class}), each track's class in the eighth column (ppdet's MCMOT layout), else -1."""
    with atomic_write(path) as f:
        f.writelines(_lines(results, sorted(results), classes))


COLUMNS = ('frame', 'seconds', 'id', 'class', 'x', 'y', 'w', 'h', 'score', 'state')


def _csv_row(row):
    return ','.join(map(str, row)) + '\n'


def _json_row(row):
    return json.dumps(dict(zip(COLUMNS, row))) + '\n'


class _Table:
    """The rows of the MOT results with what a MOTChallenge file leaves out: each frame's time (seconds from the
    first frame), the class, and the box's state: 'observed' (matched to a detection in this frame), 'predicted'
    (the track's prediction: a frame it missed, or a frame without detections) or 'interpolated' (filled in by the
    offline post-processing). As CSV (a header line) or JSON Lines (one object a line, so a live input's rows can
    be appended)."""

    def __init__(self, path, kind, frame_rate, states, classes):
        self.path, self.frame_rate, self.states, self.classes = path, float(frame_rate), states, classes
        self._header = [','.join(COLUMNS) + '\n'] if kind == 'csv' else []
        self._format = _csv_row if kind == 'csv' else _json_row

    def header(self):
        return list(self._header)

    def lines(self, results, frame_ids):
        for frame_id in frame_ids:
            ids, tlwhs, scores = results[frame_id]
            observed = self.states.get(frame_id, {})
            for track_id, box, score in zip(ids.tolist(), tlwhs.tolist(), scores.tolist()):
                state = ('interpolated' if track_id not in observed else
                         'observed' if observed[track_id] else 'predicted')
                row = (frame_id, round((frame_id - 1) / self.frame_rate, 3), track_id, self.classes[track_id],
                       *(round(v, 2) for v in box), round(score, 4), state)
                yield self._format(row)

    def write(self, results, path=None):
        """Write every row of ``results`` to ``path`` (default: the table's own), atomically."""
        with atomic_write(path or self.path) as f:
            f.writelines(self.header())
            f.writelines(self.lines(results, sorted(results)))


def _why_not_written(path):
    """The likely cause of a write to ``path`` that failed without saying why."""
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY and os.path.getsize(path) + (1 << 20) >= limit:
        return 'File too large (EFBIG), the file-size limit (ulimit -f) being {} bytes'.format(limit)
    if shutil.disk_usage(os.path.dirname(path)).free < (16 << 20):
        return 'No space left on device (ENOSPC)'
    return 'the video encoder failed'


class SequenceOutputs:
    """Collects one sequence's tracks and annotated frames; :meth:`commit`, :meth:`abort` or :meth:`discard` at
    the end. ``flush_interval`` (seconds, or None): a thread appends the results to ``{seq}.txt.partial`` that
    often (for live streams), and rewrites the counts. ``counter`` (a :class:`ppdet_deepsort.counting.Counter`, or
    None) counts the reported tracks; its counts are written with the results and drawn on the frames.
    ``save_format``: besides the MOTChallenge file, 'csv' and 'json' (JSON Lines) tables of the same rows
    (:class:`_Table`). ``class_column``: the MOTChallenge file's eighth column holds each track's class (ppdet's
    MCMOT layout) instead of -1."""

    def __init__(self, output_dir, seq_name, frame_rate, save_images=False, save_videos=False, trail=30,
                 flush_interval=None, counter=None, save_format=(), class_column=False):
        self.result_path = self.result_file(output_dir, seq_name)
        self.vis_dir = os.path.join(output_dir, 'mot_outputs', seq_name)
        self.video_path = os.path.join(output_dir, 'mot_outputs', seq_name + '_vis.mp4')
        self._video_tmp = os.path.join(output_dir, 'mot_outputs', '.' + seq_name + '_vis.tmp.mp4')
        self.save_images, self.save_videos = save_images, save_videos
        self.counter = counter
        self._states = {}  # frame id -> {track id: matched in that frame}
        self._classes = {}  # track id -> class
        self._mot_classes = self._classes if class_column else None
        self.tables = [_Table(self.result_path[:-len('.txt')] + ('.csv' if kind == 'csv' else '.jsonl'), kind,
                              frame_rate, self._states, self._classes) for kind in dict.fromkeys(save_format)]
        self.count_paths = tuple(os.path.join(output_dir, 'mot_counts', seq_name + ext) for ext in ('.json', '.csv'))
        self.frame_rate = frame_rate
        self.by_frame = {}  # frame id -> (ids, tlwh, scores) of the reported tracks
        self._drawer = TrackDrawer(trail) if save_images or save_videos else None
        self._writer = None
        self._video_frames, self._video_size = 0, -1
        self._lock = threading.Lock()  # by_frame and the frames not yet flushed, shared with the flushing thread
        self._pending, self._flush_error, self._flusher = [], None, None
        folders = [os.path.dirname(self.result_path)] + [self.vis_dir] * save_images + \
            [os.path.dirname(self.video_path)] * save_videos + [os.path.dirname(self.count_paths[0])] * bool(counter)
        for folder in folders:
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as e:
                raise output_error(folder, e) from None
        if flush_interval is not None:
            # A thread, so that a stream that stalls still has its last frames on the disk within the interval.
            self._closing = threading.Event()
            self._flusher = threading.Thread(target=self._flush_every, args=(flush_interval,), daemon=True,
                                             name='flush-results')
            self._flusher.start()

    @staticmethod
    def result_file(output_dir, seq_name):
        return os.path.join(output_dir, 'mot_results', seq_name + '.txt')

    @property
    def wants_frames(self):
        return self._drawer is not None

    @property
    def partial_path(self):
        return self.result_path + '.partial'

    @property
    def _partial_video(self):
        return self.video_path[:-len('.mp4')] + '.partial.mp4'

    @property
    def needs_frame_size(self):
        """Whether the counter waits for the frames' size (:meth:`frame_size`) to place its line."""
        return self.counter is not None and self.counter.needs_frame_size

    def frame_size(self, width, height):
        with self._lock:
            self.counter.frame_size(width, height)

    def add(self, frame_id, ids, tlwhs, scores, observed=None, classes=None):
        """Record one frame's reported tracks; ``observed``: which were matched in this frame (None: all);
        ``classes``: their classes (None: 0).

        Raises:
            OutputError: the last flush failed.
        """
        if self._flush_error is not None:
            raise self._flush_error
        tracks = (np.asarray(ids, np.int64), np.asarray(tlwhs, np.float64).reshape(-1, 4),
                  np.asarray(scores, np.float64))
        observed = np.ones(len(tracks[0]), bool) if observed is None else np.asarray(observed, bool)
        classes = np.zeros(len(tracks[0]), np.int64) if classes is None else np.asarray(classes, np.int64)
        ids = tracks[0].tolist()
        with self._lock:
            self.by_frame[frame_id] = tracks
            if self.tables or self._mot_classes is not None:
                self._classes.update(zip(ids, classes.tolist()))
            if self.tables:
                self._states[frame_id] = dict(zip(ids, observed.tolist()))
            self._pending.append(frame_id)
            if self.counter is not None:
                self.counter.add(frame_id, tracks[0], tracks[1], classes)

    def _flush_every(self, interval):
        appended = False
        while not self._closing.wait(interval):
            with self._lock:
                lines = [list(_lines(self.by_frame, self._pending, self._mot_classes))]
                lines += [([] if appended else table.header()) + list(table.lines(self.by_frame, self._pending))
                          for table in self.tables]
                self._pending = []
                counts = None if self.counter is None else copy.deepcopy(self.counter)
            try:
                for path, chunk in zip([self.partial_path] + [t.path + '.partial' for t in self.tables], lines):
                    with open(path, 'a' if appended else 'w') as f:
                        f.writelines(chunk)
                        f.flush()
                        os.fsync(f.fileno())
                if counts is not None:
                    counts.write(*self.count_paths)
            except OSError as e:
                self._flush_error = output_error(self.partial_path, e)
                return
            except OutputError as e:  # the counts' own write, which names its file
                self._flush_error = e
                return
            appended = True

    def _stop_flushing(self):
        if self._flusher is not None and self._flusher.is_alive():
            self._closing.set()
            self._flusher.join()

    def draw(self, frame_id, image, ids, tlwhs, scores, fps=None, predicted=False):
        """Save the frame annotated with the given tracks (as image and/or video frame); ``predicted``: a frame
        without detections, its boxes the tracks' predictions."""
        annotated = self._drawer.draw(image, frame_id, ids, tlwhs, scores, fps=fps, predicted=predicted)
        if self.counter is not None:
            with self._lock:
                regions, lines = list(self.counter.regions.values()), self.counter.lines()
            draw_regions(annotated, regions, lines)
        if self.save_images:
            path = os.path.join(self.vis_dir, '{:05d}.jpg'.format(frame_id - 1))
            # Encoded here and written by Python, not cv2.imwrite, which says only False when the disk is full.
            ok, data = cv2.imencode('.jpg', annotated)
            if not ok:
                raise OutputError("cannot encode frame {} as JPEG for {}".format(frame_id, path))
            with atomic_write(path, 'wb', durable=False) as f:
                f.write(data.tobytes())
        if self.save_videos:
            if self._writer is None:
                height, width = annotated.shape[:2]
                self._writer = cv2.VideoWriter(self._video_tmp, cv2.VideoWriter_fourcc(*'mp4v'),
                                               float(self.frame_rate), (width, height))
                if not self._writer.isOpened():
                    raise OutputError("cannot write {}: no video writer could be opened there".format(
                        self._video_tmp))
            self._writer.write(annotated)
            self._video_frames += 1
            if self._video_frames % 100 == 0:
                self._check_video()

    def commit(self):
        """The sequence finished: write the results file and move the video into place.

        Raises:
            OutputError: a file could not be written; what this sequence half wrote is removed (:meth:`discard`).
        """
        self._stop_flushing()
        try:
            video = self._writer is not None
            if video:
                self._close_video()
            write_mot_results(self.result_path, self.by_frame, self._mot_classes)
            for table in self.tables:
                table.write(self.by_frame)
            if self.counter is not None:
                self.counter.write(*self.count_paths)
                logger.info("Counts saved in {} ({})".format(self.count_paths[0], '; '.join(self.counter.lines())))
            for stale in (self.partial_path, self._partial_video, *(t.path + '.partial' for t in self.tables)):
                # this run's flushes, or an earlier run's
                with contextlib.suppress(FileNotFoundError):
                    os.remove(stale)
            logger.info("MOT results saved in {}".format(self.result_path))
            if video:
                os.replace(self._video_tmp, self.video_path)
                logger.info("Video saved in {}".format(self.video_path))
        except OSError as e:
            self.discard()
            raise output_error(self.video_path if self._video_frames else self.result_path, e) from None

    def _check_video(self):
        """OpenCV's video writer reports no failed write: a file that stopped growing over the last 100 frames
        is one."""
        size = os.path.getsize(self._video_tmp)
        if size == self._video_size:
            raise OutputError("cannot write {}: {} (the file stopped growing at {} bytes after {} frames)".format(
                self.video_path, _why_not_written(self._video_tmp), size, self._video_frames))
        self._video_size = size

    def _close_video(self):
        """Finish the video and check it holds every frame."""
        self._writer.release()
        self._writer = None
        capture = cv2.VideoCapture(self._video_tmp)
        readable = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
        capture.release()
        if readable != self._video_frames:
            raise OutputError("cannot write {}: {} (the video writer stored {} of its {} frames)".format(
                self.video_path, _why_not_written(self._video_tmp), readable, self._video_frames))

    def discard(self):
        """A write failed: remove the temporary video (what was half written); results already in place stay."""
        self._stop_flushing()
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._video_tmp)

    def abort(self):
        """The sequence failed or was stopped: keep what was tracked under ``.partial`` names (if anything was)."""
        self._stop_flushing()
        try:
            if self.by_frame:
                write_mot_results(self.partial_path, self.by_frame, self._mot_classes)
                for table in self.tables:
                    table.write(self.by_frame, table.path + '.partial')
                logger.warning("Results of the {} frames tracked before it stopped kept in {}".format(
                    len(self.by_frame), self.partial_path))
            if self._writer is not None:
                self._close_video()
                os.replace(self._video_tmp, self._partial_video)
                logger.warning("Partial video kept in {}".format(self._partial_video))
        except OSError as e:
            self.discard()
            logger.error("What was tracked could not all be kept: {}".format(output_error(self.partial_path, e)))
