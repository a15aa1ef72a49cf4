"""Scoring a run's result files against the ground truth of their sequences, as the files were written (so that
resumed and tracked sequences score alike)."""

import logging

from ..data import GroundTruth, read_mot_results
from ..errors import MOTFileError
from ..metrics import evaluate

logger = logging.getLogger(__name__)

__all__ = ['evaluate_results']


def evaluate_results(finished, sequences, output_dir, convention, opened=None):
    """Score the finished sequences ({name: result file}) that have ground truth and publish the metrics in
    ``output_dir`` (see :func:`ppdet_deepsort.metrics.evaluate`); ``sequences`` (a
    :class:`ppdet_deepsort.data.MOTSequences`) opens those not in ``opened`` ({name: Sequence}). Returns {sequence:
    error} of those whose ground truth could not be used."""
    opened = opened or {}
    scored, failed = [], {}
    for name, result_path in finished.items():
        seq = opened[name] if name in opened else sequences.sequence(name)
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
