"""Running DeepSORT over sequences: the plugin's counterpart of ppdet's engine ``Tracker`` for SDE models, made of
three parts: the plan (:mod:`.plan`: which sequences this worker tracks, which ``--resume`` keeps, the workers'
outcomes together), tracking one sequence (:mod:`.sequence_run`), and scoring the result files
(:mod:`.evaluation`).

Each sequence gets a fresh tracker. A sequence that fails is reported and skipped; the others go on. A write that
fails (full disk), SIGTERM or Ctrl-C stops the whole run between two frames instead (:mod:`.stop`), since every later
sequence would fail alike; a live input (:mod:`..data.stream`) ends there with its results in place.
"""

import logging

from ..errors import MOTFileError, OutputError, SequenceError, WeightsError
from .evaluation import evaluate_results
from .outputs import SequenceOutputs
from .plan import Outcome, RunPlan
from .sequence_run import Pipeline, Stopped, speed_summary, track_sequence
from .spec import Counting
from .stop import RunStop

logger = logging.getLogger(__name__)

__all__ = ['SDERunner']

TRAIL_ALL = 1 << 30  # draw_center_traj: the whole of each track's path


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
        read_ahead (int): frames decoded, detected and cropped ahead of the ReID model and the tracker, and drawn
            behind them, in background threads; 0 runs every stage in line.
        digest (str): what the results depend on besides each sequence's inputs (:meth:`.spec.RunSpec.digest`),
            for ``--resume``'s manifests.
        flush_interval (float): a live input's results are appended to ``{seq}.txt.partial`` at least this often
            (seconds), so that a killed run keeps them.
        det_interval (int): detections on every this many frames; the tracks coast between (:class:`.Pipeline`).
        reid_batch_frames (int): frames of a file whose crops are embedded in one batch, where the tracker says
            ahead which it reads (:class:`.Pipeline`).
        counting (Counting): the counting lines and areas (:class:`.spec.Counting`); the counts of each sequence are
            written beside its results and drawn on its annotated frames.
        save_format (tuple[str]): 'csv', 'json': tables of the results besides the MOTChallenge file
            (:class:`.outputs.SequenceOutputs`).
        class_column (bool): the MOTChallenge file holds each track's class in its eighth column, not -1.
    """

    def __init__(self, dataset, make_tracker, embedder=None, detector=None, mode='eval', interpolation=(0, 0.),
                 read_ahead=4, digest='', flush_interval=5., det_interval=1, reid_batch_frames=1, counting=Counting(),
                 save_format=(), class_column=False):
        self.dataset = dataset
        self.pipeline = Pipeline(make_tracker, embedder, detector, det_interval, reid_batch_frames)
        self.mode = mode
        self.interpolation = interpolation
        self.read_ahead = read_ahead
        self.flush_interval = flush_interval
        self.run_digest = digest
        self.counting = counting
        self.save_format = tuple(save_format)
        self.class_column = class_column

    @property
    def embedder(self):
        return self.pipeline.embedder

    def run(self, output_dir, save_images=False, save_videos=False, draw_threshold=0., evaluate=True,
            convention='motchallenge', resume=False):
        """Track every sequence, write its outputs, and (if ``evaluate``) print and save the metrics under the
        given convention ('motchallenge' or 'ppdet', see :mod:`ppdet_deepsort.metrics.conventions`). The metrics
        score the result files as written. With ``resume``, a sequence whose result file its manifest proves
        complete for these settings and inputs (:mod:`.manifest`) is not tracked again.

        Returns:
            {sequence: :func:`.sequence_run.track_sequence`'s figures}

        Raises:
            RunError: after all sequences, if some failed.
        """
        plan = RunPlan(self.dataset, self.run_digest, resume)
        outcome = Outcome(len(plan.mine))
        with RunStop(plan.rank, plan.size) as stop:
            for name in plan.mine:
                if stop.check():
                    outcome.failed[name] = 'not tracked: {}'.format(stop.reason)
                    continue
                self._run_sequence(name, plan, output_dir, stop, outcome, save_images=save_images,
                                   save_videos=save_videos, draw_threshold=draw_threshold)
        outcome = plan.together(outcome, stop)
        if plan.reports(stop):
            plan.log_resumed(outcome)
            _log_speed(outcome.stats, plan.size)
            if evaluate and not outcome.reason:
                outcome.failed.update(evaluate_results(outcome.finished, self.dataset, output_dir, convention,
                                                       outcome.opened))
        outcome.raise_if_failed()
        return outcome.stats

    def _run_sequence(self, name, plan, output_dir, stop, outcome, save_images, save_videos, draw_threshold):
        """Track one sequence into ``output_dir`` and record how it went in ``outcome``. A failed write stops the
        run (every later one would fail alike); any other error fails this sequence only."""
        finished, failed, stats = outcome.finished, outcome.failed, outcome.stats
        outputs = None
        try:
            seq = outcome.opened[name] = self.dataset.sequence(name)
            result_path = SequenceOutputs.result_file(output_dir, seq.name)
            inputs = plan.inputs(seq)
            if plan.finished_before(seq, result_path, inputs):
                finished[name] = result_path
                return
            logger.info("{} sequence: {}".format('Evaluate' if self.mode == 'eval' else 'Track', name))
            outputs = SequenceOutputs(output_dir, seq.name, seq.frame_rate, save_images, save_videos,
                                      trail=TRAIL_ALL if self.counting.draw_center_traj else 30,
                                      flush_interval=self.flush_interval if seq.is_live else None,
                                      counter=self.counting.counter(seq), save_format=self.save_format,
                                      class_column=self.class_column)
            stats[name] = track_sequence(seq, self.dataset, self.pipeline, outputs, stop, draw_threshold,
                                         self.read_ahead, self.interpolation)
            outputs.commit()
            plan.finish(result_path, inputs)
            finished[name] = result_path
            if 'ended' in stats[name]:
                failed[name] = '{}; the {} frames tracked are in {}'.format(stats[name]['ended'],
                                                                            stats[name]['frames'], result_path)
        except OutputError as e:
            failed[name] = str(e)
            stop.request(str(e))
            if outputs is not None:
                outputs.discard()
        except Stopped as e:
            logger.warning("{}: stopped at frame {} ({})".format(name, e.frame_id, stop.reason))
            failed[name] = 'stopped at frame {}'.format(e.frame_id)
            outputs.abort()
        except (SequenceError, MOTFileError, WeightsError, OSError) as e:
            logger.error("Sequence {} failed: {}".format(name, e))
            failed[name] = str(e)
            if outputs is not None:
                outputs.abort()


def _log_speed(stats, workers):
    if not sum(s['frames'] for s in stats.values()):
        return
    logger.info("Time elapsed: {}{}".format(speed_summary(list(stats.values())),
                                            " (per worker; {} workers)".format(workers) if workers > 1 else ''))
