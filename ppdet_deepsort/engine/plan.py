"""The plan of a run: which sequences this worker tracks (shared among the workers of
``python -m paddle.distributed.launch``), which an earlier run already finished (``--resume``), and how the workers'
outcomes come together so that all exit alike and rank 0 reports once. Stopping between frames is :mod:`.stop`'s.
"""

import logging

from ..data.stream import Stream
from ..errors import RunError, SequenceError
from ..utils.distributed import gather, shard, world
from . import manifest

logger = logging.getLogger(__name__)

__all__ = ['RunPlan', 'Outcome', 'frame_counts']


class Outcome:
    """How sequences went: {name: result file} finished, {name: error} failed, {name: timings} tracked, {name:
    Sequence} opened by this worker, and why the run stopped (None if it did not), over ``total`` sequences."""

    def __init__(self, total):
        self.finished, self.failed, self.stats, self.opened = {}, {}, {}, {}
        self.reason, self.total = None, total

    def raise_if_failed(self):
        """Raises RunError naming what failed, and whether the run stopped."""
        if self.failed and self.reason:
            raise RunError("{}. The run stopped with {} of {} sequences finished; --resume tracks the others".format(
                self.reason, len(self.finished), self.total))
        if self.failed:
            raise RunError("{} of {} sequences failed: {}".format(
                len(self.failed), len(self.failed) + len(self.finished),
                '; '.join('{}: {}'.format(k, v) for k, v in self.failed.items())))


def frame_counts(sequences, names):
    """{name: frames} of the sequences ``names`` of ``sequences``, to balance the workers; a sequence that cannot be
    opened counts 0 (its worker reports the error). A live input is not opened for it (a camera may let in one reader
    only): it counts as endless, so that each goes to a worker of its own while there are enough."""
    counts = {}
    for name in names:
        if sequences.is_live(name):
            counts[name] = len(Stream.frame_ids)
            continue
        try:
            counts[name] = len(sequences.sequence(name).frame_ids)
        except (SequenceError, OSError):
            counts[name] = 0
    return counts


class RunPlan:
    """The sequences of ``sequences`` (a :class:`ppdet_deepsort.data.MOTSequences`) this worker tracks, for a run
    whose results depend on ``digest`` (:meth:`.spec.RunSpec.digest`) besides each sequence's inputs."""

    def __init__(self, sequences, digest, resume=False):
        self.sequences, self.digest, self.resume = sequences, digest, resume
        self.rank, self.size = world()
        self.names = sequences.sequences()
        self.mine = shard(frame_counts(sequences, self.names), self.rank, self.size) if self.size > 1 else self.names
        if self.size > 1:
            logger.info("Worker {} of {} tracks {} of the {} sequences: {}".format(
                self.rank, self.size, len(self.mine), len(self.names), ', '.join(self.mine) or 'none'))

    def inputs(self, seq):
        """What the sequence's results are computed from, for its manifest (None for a live input)."""
        if seq.is_live:
            return None
        return manifest.sequence_inputs(seq, self.sequences.det_file(seq) if self.sequences.det_results_dir else None)

    def finished_before(self, seq, result_path, inputs):
        """Whether ``--resume`` may keep the sequence's result file: its manifest proves it complete for this run's
        settings and the sequence's inputs. Says why either way."""
        if not self.resume or inputs is None:
            return False
        done, why = manifest.check(result_path, self.digest, inputs)
        if done:
            logger.info("{}: resumed: {} is complete for these settings and inputs (its manifest says so), not "
                        "tracked again".format(seq.name, result_path))
        else:
            logger.info("{}: tracked again: {}".format(seq.name, why))
        return done

    def finish(self, result_path, inputs):
        """Write the manifest of a sequence whose result file is in place."""
        if inputs is not None:
            manifest.write(result_path, self.digest, inputs)

    def together(self, outcome, stop):
        """Every worker's outcome merged, so all exit alike (this worker's alone without the launcher, or after a
        signal: the other workers may be gone already, since the launcher ends them all when one dies)."""
        outcome.reason = stop.reason
        if self.size == 1 or stop.by_signal:
            return outcome
        reports = gather((outcome.finished, outcome.failed, outcome.stats, outcome.reason), self.size)
        merged = Outcome(len(self.names))
        merged.finished, merged.failed, merged.stats = ({k: r[i][k] for k in self.names for r in reports if k in r[i]}
                                                        for i in range(3))
        merged.opened = outcome.opened
        merged.reason = next((r[3] for r in reports if r[3]), None)
        return merged

    def reports(self, stop):
        """Whether this worker reports the run: rank 0, or any worker after a signal."""
        return self.rank == 0 or stop.by_signal

    def log_resumed(self, outcome):
        """Which sequences were resumed and which tracked (said by the reporting worker: under the launcher only
        rank 0's log is shown)."""
        if self.resume:
            resumed = [n for n in outcome.finished if n not in outcome.stats]
            logger.info("Resumed {} of {} sequences (complete for these settings and inputs, not tracked again): "
                        "{}; tracked: {}".format(len(resumed), outcome.total, ', '.join(resumed) or 'none',
                                                 ', '.join(outcome.stats) or 'none'))
