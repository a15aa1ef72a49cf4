"""Tracking one sequence: a function of the sequence, the run's models (:class:`Pipeline`), an output sink
(:class:`.outputs.SequenceOutputs`) and a stop signal (:class:`.stop.RunStop`), returning what it measured.

Per frame: detections (saved ones, or the detector's) -> ReID embeddings of their crops (if the run has a ReID model)
-> tracker -> reported tracks -> the outputs. A live input ends at a stop with its results in place; a sequence that
has an end raises :class:`Stopped` instead, since its tracks so far are only a part of it.
"""

import logging
import time

import numpy as np
from tqdm import tqdm

from ..boxes import tlwh_to_xyxy
from ..data.det_file import inside_frame
from ..data.read_ahead import read_ahead
from ..data.stream import StreamEnded
from ..errors import SequenceError
from .interpolation import interpolate_tracks

logger = logging.getLogger(__name__)

__all__ = ['Pipeline', 'track_sequence', 'Stopped']

STAGES = ('read', 'detector', 'reid', 'tracker', 'output')


class Stopped(Exception):
    """The run was asked to stop before frame ``frame_id`` of a sequence that has an end."""

    def __init__(self, frame_id):
        super().__init__(frame_id)
        self.frame_id = frame_id


class Pipeline:
    """The models of a run, per frame: the detector (None: the sequence's saved detections), the ReID embedder
    (a :class:`ppdet_deepsort.inference.embedder.ReIDEmbedder`; None: motion only) and a fresh tracker per sequence
    (``make_tracker``)."""

    def __init__(self, make_tracker, embedder=None, detector=None):
        self.make_tracker, self.embedder, self.detector = make_tracker, embedder, detector

    def needs_pixels(self, tracker):
        """What needs each frame's image, named; None if nothing does."""
        if self.detector is not None:
            return 'detector'
        if self.embedder is not None:
            return 'ReID model'
        return 'camera-motion compensation' if tracker.needs_frames else None

    def prepared(self, seq, frames):
        """Per frame (frame id, image, saved detections inside the frame, their scores, their ReID crops or None):
        everything that needs no model, so that it can run ahead in another thread."""
        crop = self.detector is None and self.embedder is not None and self.embedder.crops_ahead
        for frame_id, image, tlwh, score in frames:
            if self.detector is None:
                tlwh, score = _inside(tlwh, score, image, seq)
            yield frame_id, image, tlwh, score, self.embedder.crops(image, tlwh) if crop else None


def _inside(tlwh, score, image, seq):
    """The boxes not wholly outside the frame: those can be neither cropped nor scored against ground truth."""
    size = image.shape[1::-1] if image is not None else seq.im_size
    if size is None:
        return tlwh, score
    inside = inside_frame(tlwh, size)
    return tlwh[inside], score[inside]


def track_sequence(seq, sequences, pipeline, outputs, stop, draw_threshold=0., read_ahead_frames=4,
                   interpolation=(0, 0.)):
    """Track ``seq`` (of ``sequences``, a :class:`ppdet_deepsort.data.MOTSequences`, which reads its frames and saved
    detections) with ``pipeline`` into ``outputs``, stopping between two frames when ``stop`` says so.

    Returns:
        {'frames', 'seconds', 'tracking_seconds', 'stages': {stage: seconds}} and, for a live input that stopped
        sending, 'ended': why.
    Raises:
        Stopped: asked to stop before the end of a sequence that has one.
    """
    tracker = pipeline.make_tracker()
    draw = outputs.wants_frames and seq.has_pixels
    if outputs.wants_frames and not seq.has_pixels:
        logger.warning("{} has no frames (no img1/ or video): nothing to draw".format(seq.name))
    needs = pipeline.needs_pixels(tracker)
    if needs and not seq.has_pixels:
        raise SequenceError("{}: the {} needs the frames, but the sequence has none (no img1/ or video)".format(
            seq.name, needs))
    interrupted = lambda: stop.reason is not None  # read in another thread: the local flag only
    frames = read_ahead(pipeline.prepared(seq, sequences.frames(seq, bool(needs) or draw, interrupted)),
                        read_ahead_frames)
    # Seconds per stage: reading (decode, saved detections, crops: waiting for them when reading ahead),
    # detector, ReID (model, and crops of a detector's boxes), tracker, output (draw, write).
    stages = dict.fromkeys(STAGES, 0.)
    start = mark = time.perf_counter()
    progress = tqdm(frames, total=None if seq.is_live else len(seq.frame_ids), desc=seq.name, unit='frame',
                    leave=False)
    n, ended = 0, None
    try:
        for frame_id, image, tlwh, score, crops in progress:
            arrived = time.perf_counter()
            if stop.check():
                if not seq.is_live:  # a live stream ends here; a file's tracks so far are only a part
                    raise Stopped(frame_id)
                break
            n += 1
            stages['read'] += arrived - mark
            if pipeline.detector is not None:
                tlwh, score = _inside(*pipeline.detector(image), image, seq)
            t0 = time.perf_counter()
            stages['detector'] += t0 - arrived
            if pipeline.embedder is None:
                embeddings = None
            elif crops is not None:
                embeddings = pipeline.embedder.embed(crops)
            else:
                embeddings = pipeline.embedder(image, tlwh)
            t1 = time.perf_counter()
            pred_dets = np.concatenate([np.zeros((len(tlwh), 1)), score[:, None], tlwh_to_xyxy(tlwh)], axis=1)
            tracker.predict(image)
            tracker.update(pred_dets, embeddings)
            ids, tlwhs, scores = tracker.outputs()
            t2 = time.perf_counter()
            fps = n / (t2 - start)
            shown = scores >= draw_threshold
            outputs.add(frame_id, ids, tlwhs, scores)
            if draw:
                outputs.draw(frame_id, image, ids[shown], tlwhs[shown], scores[shown], fps)
            progress.set_postfix(fps='{:.1f}'.format(fps), refresh=False)
            stages['reid'] += t1 - t0
            stages['tracker'] += t2 - t1
            mark = time.perf_counter()
            stages['output'] += mark - t2
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
    tracking = stages['detector'] + stages['reid'] + stages['tracker']
    logger.info("{}: {} frames in {:.2f} s, {:.2f} FPS end to end, {:.2f} FPS tracking (models + tracker)".format(
        seq.name, n, seconds, n / seconds, n / max(tracking, 1e-9)))
    stats = {'frames': n, 'seconds': seconds, 'tracking_seconds': tracking, 'stages': stages}
    if ended:
        stats['ended'] = ended
    return stats
