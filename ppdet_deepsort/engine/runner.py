"""Running DeepSORT over sequences: the plugin's counterpart of ppdet's engine ``Tracker`` for SDE models.

Per frame: detections (saved ones from the dataset, or a detector's) -> ReID embeddings of their crops
(if a ReID model is configured) -> tracker -> reported tracks -> results file, annotated frames/video.
Each sequence gets a fresh tracker. A sequence that fails is reported and skipped; the others go on. A write that
fails (full disk), SIGTERM or Ctrl-C stops the whole run between two frames instead (:mod:`.stop`), since every later
sequence would fail alike; a live input (:mod:`..data.stream`) ends there with its results in place.
"""

import logging
import time

import numpy as np
from tqdm import tqdm

from ..boxes import tlwh_to_xyxy
from ..data import GroundTruth, read_mot_results
from ..data.det_file import inside_frame
from ..data.read_ahead import read_ahead
from ..data.stream import Stream, StreamEnded
from ..errors import MOTFileError, OutputError, RunError, SequenceError, WeightsError
from ..metrics import evaluate
from ..utils.distributed import gather, shard, world
from . import manifest
from .interpolation import interpolate_tracks
from .outputs import SequenceOutputs
from .stop import RunStop

logger = logging.getLogger(__name__)

__all__ = ['SDERunner']


def _inside(tlwh, score, image, seq):
    """The boxes not wholly outside the frame: those can be neither cropped nor scored against ground truth."""
    size = image.shape[1::-1] if image is not None else seq.im_size
    if size is None:
        return tlwh, score
    inside = inside_frame(tlwh, size)
    return tlwh[inside], score[inside]


class _Stopped(Exception):
    """The run was asked to stop (:class:`.stop.RunStop`) before frame ``frame_id`` of a sequence that has an end."""

    def __init__(self, frame_id):
        super().__init__(frame_id)
        self.frame_id = frame_id


class _Outcome:
    """How a worker's sequences went: {name: result file} finished, {name: error} failed, {name: timings}
    tracked, {name: Sequence} opened."""

    def __init__(self):
        self.finished, self.failed, self.stats, self.opened = {}, {}, {}, {}


class SDERunner:
    """Tracks the sequences of a :class:`ppdet_deepsort.data.MOTSequences` (a ``MOTDetResultsDataset``). The tools
    build it from their run spec with :func:`.models.runner_for`.

    Args:
        dataset (MOTSequences): the sequences and their saved detections.
        make_tracker (callable): returns a fresh tracker (one per sequence) with ``predict``, ``update`` and
            ``outputs``, e.g. a FastDeepSORTTracker.
        embedder (ReIDEmbedder or None): appearance embeddings of a frame's boxes; None tracks on motion.
        detector (Detector or None): detects in each frame; None uses the dataset's saved detections.
        mode (str): 'eval' (evaluates sequences with ground truth) or 'test'.
        interpolation (tuple): (max gap, sigma) of the offline post-processing of each sequence's tracks
            before they are saved and scored (:func:`.interpolation.interpolate_tracks`); (0, 0) is off.
            The annotated frames show the online tracks.
        read_ahead (int): frames decoded (with their detections and crops) ahead of the models in a background
            thread; 0 reads in line.
        digest (str): what the results depend on besides each sequence's inputs (:meth:`.spec.RunSpec.digest`),
            for ``--resume``'s manifests.
        flush_interval (float): a live input's results are appended to ``{seq}.txt.partial`` at least this often
            (seconds), so that a killed run keeps them.
    """

    def __init__(self, dataset, make_tracker, embedder=None, detector=None, mode='eval', interpolation=(0, 0.),
                 read_ahead=4, digest='', flush_interval=5.):
        self.dataset = dataset
        self.make_tracker = make_tracker
        self.embedder = embedder
        self.detector = detector
        self.mode = mode
        self.interpolation = interpolation
        self.read_ahead = read_ahead
        self.flush_interval = flush_interval
        # What the results depend on besides each sequence's inputs, for the manifests that --resume reads.
        self.run_digest = digest

    def run(self, output_dir, save_images=False, save_videos=False, draw_threshold=0., evaluate=True,
            convention='motchallenge', resume=False):
        """Track every sequence, write its outputs, and (if ``evaluate``) print and save the metrics under the
        given convention ('motchallenge' or 'ppdet', see :mod:`ppdet_deepsort.metrics.conventions`). The metrics
        score the result files as written. With ``resume``, a sequence whose result file its manifest proves
        complete for these settings and inputs (:mod:`.manifest`) is not tracked again.

        Returns:
            {sequence: {'frames', 'seconds', 'tracking_seconds', 'stages': {stage: seconds}}}

        Raises:
            RunError: after all sequences, if some failed.
        """
        rank, size = world()
        names = self.dataset.sequences()
        mine = shard(self._frame_counts(names), rank, size) if size > 1 else names
        if size > 1:
            logger.info("Worker {} of {} tracks {} of the {} sequences: {}".format(
                rank, size, len(mine), len(names), ', '.join(mine) or 'none'))
        outcome = _Outcome()
        with RunStop(rank, size) as stop:
            for name in mine:
                if stop.check():
                    outcome.failed[name] = 'not tracked: {}'.format(stop.reason)
                    continue
                self._run_sequence(name, output_dir, stop, outcome, resume, save_images=save_images,
                                   save_videos=save_videos, draw_threshold=draw_threshold)
        finished, failed, stats, opened = outcome.finished, outcome.failed, outcome.stats, outcome.opened
        reason, total = stop.reason, len(mine)
        if size > 1 and not stop.by_signal:
            # Every worker learns every sequence's outcome, so all exit alike; rank 0 alone reports. After a
            # signal the other workers may be gone already (the launcher ends them all when one dies).
            reports = gather((finished, failed, stats, reason), size)
            finished, failed, stats = ({k: r[i][k] for k in names for r in reports if k in r[i]} for i in range(3))
            reason, total = next((r[3] for r in reports if r[3]), None), len(names)
        if rank == 0 or stop.by_signal:
            if resume:  # said here too: under the launcher only rank 0's log is shown
                resumed = [n for n in finished if n not in stats]
                logger.info("Resumed {} of {} sequences (complete for these settings and inputs, not tracked again): "
                            "{}; tracked: {}".format(len(resumed), total, ', '.join(resumed) or 'none',
                                                     ', '.join(stats) or 'none'))
            self._log_speed(stats, size)
            if evaluate and not reason:
                failed.update(self._evaluate(finished, opened, output_dir, convention))
        if failed and reason:
            raise RunError("{}. The run stopped with {} of {} sequences finished; --resume tracks the others".format(
                reason, len(finished), total))
        if failed:
            raise RunError("{} of {} sequences failed: {}".format(
                len(failed), len(failed) + len(finished), '; '.join('{}: {}'.format(k, v) for k, v in failed.items())))
        return stats

    def _run_sequence(self, name, output_dir, stop, outcome, resume, save_images, save_videos, draw_threshold):
        """Track one sequence into ``output_dir`` and record how it went in ``outcome``. A failed write stops the
        run (every later one would fail alike); any other error fails this sequence only."""
        finished, failed, stats = outcome.finished, outcome.failed, outcome.stats
        outputs = None
        try:
            seq = outcome.opened[name] = self.dataset.sequence(name)
            result_path = SequenceOutputs.result_file(output_dir, seq.name)
            inputs = None if seq.is_live else manifest.sequence_inputs(
                seq, self.dataset.det_file(seq) if self.dataset.det_results_dir else None)
            if resume and inputs is not None:
                done, why = manifest.check(result_path, self.run_digest, inputs)
                if done:
                    logger.info("{}: resumed: {} is complete for these settings and inputs (its manifest says so), "
                                "not tracked again".format(name, result_path))
                    finished[name] = result_path
                    return
                logger.info("{}: tracked again: {}".format(name, why))
            logger.info("{} sequence: {}".format('Evaluate' if self.mode == 'eval' else 'Track', name))
            outputs = SequenceOutputs(output_dir, seq.name, seq.frame_rate, save_images, save_videos,
                                      flush_interval=self.flush_interval if seq.is_live else None)
            stats[name] = self._track(seq, outputs, draw_threshold, stop)
            outputs.commit()
            if inputs is not None:
                manifest.write(result_path, self.run_digest, inputs)
            finished[name] = result_path
            if 'ended' in stats[name]:
                failed[name] = '{}; the {} frames tracked are in {}'.format(stats[name]['ended'],
                                                                            stats[name]['frames'], result_path)
        except OutputError as e:
            failed[name] = str(e)
            stop.request(str(e))
            if outputs is not None:
                outputs.discard()
        except _Stopped as e:
            logger.warning("{}: stopped at frame {} ({})".format(name, e.frame_id, stop.reason))
            failed[name] = 'stopped at frame {}'.format(e.frame_id)
            outputs.abort()
        except (SequenceError, MOTFileError, WeightsError, OSError) as e:
            logger.error("Sequence {} failed: {}".format(name, e))
            failed[name] = str(e)
            if outputs is not None:
                outputs.abort()

    def _prepared(self, seq, frames):
        """Per frame (frame id, image, saved detections inside the frame, their scores, their ReID crops or None):
        everything that needs no model, so that it can run ahead in another thread."""
        crop = self.detector is None and hasattr(self.embedder, 'crops')
        for frame_id, image, tlwh, score in frames:
            if self.detector is None:
                tlwh, score = _inside(tlwh, score, image, seq)
            yield frame_id, image, tlwh, score, self.embedder.crops(image, tlwh) if crop else None

    def _frame_counts(self, names):
        """Frames of each sequence, to balance the workers; a sequence that cannot be opened counts 0 (its
        worker reports the error). A live input is not opened for it (a camera may let in one reader only): it
        counts as endless, so that each goes to a worker of its own while there are enough."""
        counts = {}
        for name in names:
            if self.dataset.is_live(name):
                counts[name] = len(Stream.frame_ids)
                continue
            try:
                counts[name] = len(self.dataset.sequence(name).frame_ids)
            except (SequenceError, OSError):
                counts[name] = 0
        return counts

    @staticmethod
    def _log_speed(stats, workers):
        frames = sum(s['frames'] for s in stats.values())
        if not frames:
            return
        seconds = sum(s['seconds'] for s in stats.values())
        tracking = sum(s['tracking_seconds'] for s in stats.values())
        logger.info("Time elapsed: {:.2f} seconds for {} frames, FPS: {:.2f} end to end, {:.2f} tracking "
                    "(models + tracker){}".format(seconds, frames, frames / seconds, frames / max(tracking, 1e-9),
                                                  ", per worker; {} workers".format(workers) if workers > 1 else ''))

    def _track(self, seq, outputs, draw_threshold, stop):
        tracker = self.make_tracker()
        draw = outputs.wants_frames and seq.has_pixels
        if outputs.wants_frames and not seq.has_pixels:
            logger.warning("{} has no frames (no img1/ or video): nothing to draw".format(seq.name))
        needs_pixels = self.embedder is not None or self.detector is not None or tracker.needs_frames
        if needs_pixels and not seq.has_pixels:
            raise SequenceError("{}: the {} needs the frames, but the sequence has none (no img1/ or video)".format(
                seq.name, 'detector' if self.detector is not None else 'ReID model' if self.embedder is not None
                else 'camera-motion compensation'))
        if seq.is_live:
            seq.interrupted = lambda: stop.reason is not None  # read in another thread: the local flag only
        frames = read_ahead(self._prepared(seq, self.dataset.frames(seq, with_images=needs_pixels or draw)),
                            self.read_ahead)
        # Seconds per stage: reading (decode, saved detections, crops: waiting for them when reading ahead),
        # detector, ReID (model, and crops of a detector's boxes), tracker, output (draw, write).
        stages = dict.fromkeys(('read', 'detector', 'reid', 'tracker', 'output'), 0.)
        start = mark = time.perf_counter()
        progress = tqdm(frames, total=None if seq.is_live else len(seq.frame_ids), desc=seq.name, unit='frame',
                        leave=False)
        n, ended = 0, None
        try:
            for frame_id, image, tlwh, score, crops in progress:
                arrived = time.perf_counter()
                if stop.check():
                    if not seq.is_live:  # a live stream ends here; a file's tracks so far are only a part
                        raise _Stopped(frame_id)
                    break
                n += 1
                stages['read'] += arrived - mark
                if self.detector is not None:
                    tlwh, score = _inside(*self.detector(image), image, seq)
                t0 = time.perf_counter()
                stages['detector'] += t0 - arrived
                if self.embedder is None:
                    embeddings = None
                elif crops is not None:
                    embeddings = self.embedder.embed(crops)
                else:
                    embeddings = self.embedder(image, tlwh)
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
        if any(self.interpolation):
            before = sum(len(v[0]) for v in outputs.by_frame.values())
            outputs.by_frame = interpolate_tracks(outputs.by_frame, *self.interpolation)
            logger.info("{}: offline post-processing (interpolate_max_gap {}, smooth_sigma {}): {} boxes filled in "
                        "gaps".format(seq.name, *self.interpolation,
                                      sum(len(v[0]) for v in outputs.by_frame.values()) - before))
        seconds = time.perf_counter() - start
        tracking = stages['detector'] + stages['reid'] + stages['tracker']
        logger.info("{}: {} frames in {:.2f} s, {:.2f} FPS end to end, {:.2f} FPS tracking (models + tracker)".format(
            seq.name, n, seconds, n / seconds, n / max(tracking, 1e-9)))
        stats = {'frames': n, 'seconds': seconds, 'tracking_seconds': tracking, 'stages': stages}
        if ended:
            stats['ended'] = ended
        return stats

    def _evaluate(self, finished, opened, output_dir, convention):
        """Score the finished sequences ({name: result file}) that have ground truth, as their files were written
        (so that resumed and tracked sequences score alike); ``opened``: the sequences this worker tracked (others'
        are opened again). Returns {sequence: error} of those whose ground truth could not be used."""
        scored, failed = [], {}
        for name, result_path in finished.items():
            seq = opened[name] if name in opened else self.dataset.sequence(name)
            if seq.gt_path is None:
                logger.info("{}: no gt/gt.txt, not evaluated".format(name))
                continue
            frames = list(seq.frame_ids)
            if seq.gt_frames is not None:
                first, last = seq.gt_frames
                frames = [f for f in frames if first <= f <= last]
                logger.info("{}: ground truth covers frames {}-{} (seqinfo.ini gtFrames): evaluating {} frames".format(
                    name, first, last, len(frames)))
            try:
                scored.append((name, GroundTruth(seq.gt_path, name), read_mot_results(result_path), frames))
            except MOTFileError as e:
                logger.error("{}: ground truth unusable, not evaluated: {}".format(name, e))
                failed[name] = 'ground truth unusable: {}'.format(e)
        if not scored:
            logger.info("No sequence with ground truth: no metrics")
            return failed
        evaluate(scored, convention).publish(output_dir)
        return failed
