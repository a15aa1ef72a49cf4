"""Tracking one sequence: a function of the sequence, the run's models (:class:`Pipeline`), an output sink
(:class:`.outputs.SequenceOutputs`) and a stop signal (:class:`.stop.RunStop`), returning what it measured.

Per frame: detections (saved ones, or the detector's) -> the tracker's prediction and its plan of which detections
need appearance -> ReID embeddings of those crops (if the run has a ReID model) -> tracker update -> reported tracks
-> the outputs. A live input ends at a stop with its results in place; a sequence that
has an end raises :class:`Stopped` instead, since its tracks so far are only a part of it.
"""

import functools
import logging
import time

import numpy as np
from tqdm import tqdm

from ..boxes import pred_dets as as_pred_dets
from ..data.det_file import inside_frame
from ..data.read_ahead import WriteBehind, read_ahead
from ..data.stream import StreamEnded
from ..errors import SequenceError
from .interpolation import interpolate_tracks

logger = logging.getLogger(__name__)

__all__ = ['Pipeline', 'track_sequence', 'Stopped', 'speed_summary']

STAGES = ('decode', 'detector', 'crops', 'reid', 'tracker', 'output')


class Stopped(Exception):
    """The run was asked to stop before frame ``frame_id`` of a sequence that has an end."""

    def __init__(self, frame_id):
        super().__init__(frame_id)
        self.frame_id = frame_id


class Pipeline:
    """The models of a run, per frame: the detector (None: the sequence's saved detections), the ReID embedder
    (a :class:`ppdet_deepsort.inference.embedder.ReIDEmbedder`; None: motion only) and a fresh tracker per sequence
    (``make_tracker``). ``det_interval`` k: detections (the detector's or the saved ones) on every k-th frame of a
    sequence, its first included; on the frames between, the tracks move on their predicted way
    (``tracker.coast``). ``reid_batch_frames``: where the tracker says ahead which crops it reads, those of this many
    frames of a file go through the ReID model in one batch (a live input's frame by frame)."""

    def __init__(self, make_tracker, embedder=None, detector=None, det_interval=1, reid_batch_frames=1):
        self.make_tracker, self.embedder, self.detector = make_tracker, embedder, detector
        self.det_interval, self.reid_batch_frames = det_interval, reid_batch_frames

    def needs_pixels(self, tracker):
        """What needs each frame's image, named; None if nothing does."""
        if self.detector is not None:
            return 'detector'
        if self.embedder is not None:
            return 'ReID model'
        return 'camera-motion compensation' if tracker.needs_frames else None

    def frames(self, seq, frames, tracker, depth, seconds):
        """Per frame (frame id, image, detections or None, their ReID crops or None, their embeddings or None):
        ``frames`` (frame id, image, saved boxes and scores) decoded, detected, cropped and, where ``tracker``'s ReID
        policy can say which crops it reads before it has seen the frame (``embedding_ahead``), embedded, up to
        ``depth`` frames ahead of the caller in background threads (one decodes, one runs the detector and cuts the
        crops, one runs the ReID model), each stage's time added to ``seconds``. Detections are (tlwh, scores, class
        ids) inside the frame; None on a frame without detection (``det_interval``)."""
        models = self.detector is not None or self.embedder is not None
        frames = read_ahead(_timed(frames, seconds, 'decode'), depth if models else 0)
        frames = read_ahead(self._detected(seq, frames, tracker, seconds), depth if self.embedder is not None else 0)
        return read_ahead(self._embedded_ahead(seq, frames, seconds), depth)

    def _detected(self, seq, frames, tracker, seconds):
        """Per frame [frame id, image, detections, crops, the crops the tracker will read or None]."""
        crop = self.embedder is not None and self.embedder.crops_ahead
        for index, (frame_id, image, *detections) in enumerate(frames):
            if index % self.det_interval:
                yield [frame_id, image, None, None, None]
                continue
            start = time.perf_counter()
            if self.detector is not None:
                detections = self.detector(image)
            mark = time.perf_counter()
            tlwh, score, classes = detections = _inside(*detections, image, seq)
            crops = self.embedder.crops(image, tlwh) if crop else None
            seconds['detector'] += mark - start
            seconds['crops'] += time.perf_counter() - mark
            yield [frame_id, image, detections, crops,
                   tracker.embedding_ahead(score, classes) if crops is not None else None]

    def _embedded_ahead(self, seq, frames, seconds):
        """The frames with the embeddings of the crops the tracker will read, where it said them ahead; a file's
        ``reid_batch_frames`` frames in one model call."""
        group = 1 if seq.is_live else self.reid_batch_frames  # a live frame waits for no later one
        pending = []
        try:
            for item in frames:
                pending.append(item)
                waiting = sum(p[4] is not None for p in pending)
                # on: a frame whose crops the tracker chooses itself, once it sees it, or one that needs no embedding
                if waiting == 0 or waiting >= group or (item[3] is not None and item[4] is None):
                    yield from self._embedded(pending, seconds)
                    pending = []
        except Exception:  # the frames read before a failure (a truncated video, a stream that ended) are tracked
            yield from self._embedded(pending, seconds)
            raise
        yield from self._embedded(pending, seconds)

    def _embedded(self, pending, seconds):
        """The pending frames, with the embeddings of the crops the tracker will read, all in one model call."""
        ahead = [item for item in pending if item[4] is not None]
        if ahead:
            start = time.perf_counter()
            embeddings = self.embedder.embed(np.concatenate([item[3] for item in ahead]),
                                             np.concatenate([item[4] for item in ahead]))
            seconds['reid'] += time.perf_counter() - start
            for item, rows in zip(ahead, np.split(embeddings, np.cumsum([len(item[3]) for item in ahead])[:-1])):
                item[4] = rows
        for frame_id, image, detections, crops, embeddings in pending:
            yield frame_id, image, detections, crops, embeddings


def _timed(items, seconds, stage):
    items = iter(items)
    while True:
        start = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            return
        finally:
            seconds[stage] += time.perf_counter() - start
        yield item


def _inside(tlwh, score, classes, image, seq):
    """The boxes not wholly outside the frame: those can be neither cropped nor scored against ground truth."""
    size = image.shape[1::-1] if image is not None else seq.im_size
    if size is None:
        return tlwh, score, classes
    inside = inside_frame(tlwh, size)
    return tlwh[inside], score[inside], classes[inside]


def track_sequence(seq, sequences, pipeline, outputs, stop, draw_threshold=0., read_ahead_frames=4,
                   interpolation=(0, 0.)):
    """Track ``seq`` (of ``sequences``, a :class:`ppdet_deepsort.data.MOTSequences`, which reads its frames and saved
    detections) with ``pipeline`` into ``outputs``, stopping between two frames when ``stop`` says so. With
    ``read_ahead_frames`` > 0 the stages overlap: decoding, the detector and the crops run that many frames ahead of
    the ReID model and the tracker, drawing and the video that many behind (:mod:`ppdet_deepsort.data.read_ahead`);
    0 runs everything in line. Either way the results are the same.

    Returns:
        {'frames', 'seconds', 'tracking_seconds', 'stages': {stage: seconds}, 'crops', 'embedded'} and, for a live
        input that stopped sending, 'ended': why.
    Raises:
        Stopped: asked to stop before the end of a sequence that has one.
    """
    tracker = pipeline.make_tracker().at_frame_rate(seq.frame_rate)
    draw = outputs.wants_frames and seq.has_pixels
    if outputs.wants_frames and not seq.has_pixels:
        logger.warning("{} has no frames (no img1/ or video): nothing to draw".format(seq.name))
    needs = pipeline.needs_pixels(tracker)
    if needs and not seq.has_pixels:
        raise SequenceError("{}: the {} needs the frames, but the sequence has none (no img1/ or video)".format(
            seq.name, needs))
    interrupted = lambda: stop.reason is not None  # read in another thread: the local flag only
    stages = dict.fromkeys(STAGES, 0.)  # seconds per stage, in whichever thread it runs
    sized = outputs.needs_frame_size  # a counting line placed by the frames' size, known from the first frame
    frames = pipeline.frames(seq, sequences.frames(seq, bool(needs) or draw or sized, interrupted), tracker,
                             read_ahead_frames, stages)
    embedder = pipeline.embedder
    start = time.perf_counter()
    progress = tqdm(frames, total=None if seq.is_live else len(seq.frame_ids), desc=seq.name, unit='frame',
                    leave=False)
    n, ended, crops_total, embedded = 0, None, 0, 0
    try:
        with WriteBehind(read_ahead_frames if draw else 0) as writer:
            for frame_id, image, detections, crops, embeddings in progress:
                if stop.check():
                    if not seq.is_live:  # a live stream ends here; a file's tracks so far are only a part
                        raise Stopped(frame_id)
                    break
                n += 1
                if sized and image is not None:
                    outputs.frame_size(image.shape[1], image.shape[0])
                    sized = False
                t0 = time.perf_counter()
                if detections is None:
                    tracker.coast(image)
                    t1 = t2 = t0
                else:
                    tlwh, score, classes = detections
                    pred_dets = as_pred_dets(tlwh, score, classes)
                    tracker.predict(image)
                    t1 = t2 = time.perf_counter()
                    if embedder is not None:
                        needed = tracker.embedding_needed(pred_dets)
                        if embeddings is None:  # the crops the tracker asks for, now that it has seen the frame
                            t1 = time.perf_counter()
                            embeddings = (embedder.embed(crops, needed) if crops is not None or not len(tlwh) else
                                          embedder(image, tlwh, needed))
                            t2 = time.perf_counter()
                        crops_total += len(needed)
                        embedded += int(needed.sum())
                    tracker.update(pred_dets, embeddings)
                ids, tlwhs, scores = tracker.outputs()
                t3 = time.perf_counter()
                fps = n / (t3 - start)
                outputs.add(frame_id, ids, tlwhs, scores, tracker.observed(), tracker.classes_of(ids))
                if draw:
                    shown = scores >= draw_threshold
                    writer.submit(functools.partial(_draw, outputs, stages, frame_id, image, ids[shown], tlwhs[shown],
                                                    scores[shown], fps, detections is None))
                progress.set_postfix(fps='{:.1f}'.format(fps), refresh=False)
                stages['reid'] += t2 - t1
                stages['tracker'] += (t1 - t0) + (t3 - t2)
                stages['output'] += time.perf_counter() - t3
    except StreamEnded as e:
        ended = str(e)
    finally:
        progress.close()
    if seq.is_live and stop.reason:
        logger.info("{}: {} after frame {}: its results are the frames tracked until then".format(
            seq.name, stop.reason, n))
    if any(interpolation):
        before = sum(len(v[0]) for v in outputs.by_frame.values())
        outputs.by_frame = interpolate_tracks(outputs.by_frame, *interpolation)
        logger.info("{}: offline post-processing (interpolate_max_gap {}, smooth_sigma {}): {} boxes filled in "
                    "gaps".format(seq.name, *interpolation, sum(len(v[0]) for v in outputs.by_frame.values()) - before))
    seconds = time.perf_counter() - start
    tracking = stages['detector'] + stages['crops'] + stages['reid'] + stages['tracker']
    stats = {'frames': n, 'seconds': seconds, 'tracking_seconds': tracking, 'stages': stages, 'crops': crops_total,
             'embedded': embedded}
    logger.info("{}: {}".format(seq.name, speed_summary([stats])))
    if ended:
        stats['ended'] = ended
    return stats


def _draw(outputs, stages, frame_id, image, ids, tlwhs, scores, fps, predicted):
    start = time.perf_counter()
    outputs.draw(frame_id, image, ids, tlwhs, scores, fps, predicted)
    stages['output'] += time.perf_counter() - start


def speed_summary(stats):
    """One line on the speed of the runs ``stats`` (as :func:`track_sequence` returns them): frames, seconds, FPS end
    to end and of the models and tracker alone, ms per frame of each stage (the stages overlap when reading ahead,
    so they add up to more than the whole), and the share of crops the ReID model embedded."""
    frames = sum(s['frames'] for s in stats)
    seconds = sum(s['seconds'] for s in stats)
    tracking = sum(s['tracking_seconds'] for s in stats)
    per_frame = {stage: sum(s['stages'][stage] for s in stats) / max(frames, 1) * 1e3 for stage in STAGES}
    crops, embedded = sum(s.get('crops', 0) for s in stats), sum(s.get('embedded', 0) for s in stats)
    line = "{} frames in {:.2f} s, {:.2f} FPS end to end, {:.2f} FPS tracking (models + tracker); ms per frame: {}"
    line = line.format(frames, seconds, frames / max(seconds, 1e-9), frames / max(tracking, 1e-9),
        ', '.join('{} {:.1f}'.format(stage, ms) for stage, ms in per_frame.items()))
    if crops:
        line += "; ReID embedded {} of {} crops ({:.0f}%)".format(embedded, crops, 100. * embedded / crops)
    return line
