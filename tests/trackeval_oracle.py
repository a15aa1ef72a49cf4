"""TrackEval 1.0.0, the metrics' test oracle (it reproduces the MOTChallenge devkit): its scores of result files, under
the plugin's metric names. Used by tests/test_metrics.py and benchmarks/benchmark_metrics.py. TrackEval is installed
without its dependencies (``pip install --no-deps trackeval==1.0.0``): they cannot be installed beside paddledet 2.6,
and its MOTChallenge code needs only NumPy and SciPy."""

import contextlib
import io
import os
import tempfile

import numpy as np

from ppdet_deepsort.metrics import METRICS

__all__ = ['trackeval_scores']

# TrackEval's names for the metrics that the plugin names as ppdet does.
_TRACKEVAL_NAMES = {'IDs': 'IDSW', 'FM': 'Frag', 'TP': 'CLR_TP', 'FP': 'CLR_FP', 'FN': 'CLR_FN', 'Rcll': 'CLR_Re',
                    'Prcn': 'CLR_Pr', 'Frames': 'CLR_Frames'}


def trackeval_scores(gt_dir, results_dir, seq_lengths, benchmark):
    """TrackEval 1.0.0's metrics of ``results_dir/{seq}.txt`` against ``gt_dir/{seq}/gt/gt.txt``.

    Args:
        seq_lengths (dict): {sequence: frames to evaluate, 1..n}.
        benchmark (str): 'MOT17' (also MOT16/20 rules) or 'MOT15'.

    Returns:
        {sequence or 'OVERALL': {metric: value}} under the plugin's metric names (rates as fractions).
    """
    with contextlib.redirect_stdout(io.StringIO()):  # it prints which optional datasets it cannot import
        import trackeval

    results_dir = os.path.abspath(results_dir)
    with tempfile.TemporaryDirectory() as out:
        dataset = trackeval.datasets.MotChallenge2DBox({
            'GT_FOLDER': os.path.abspath(gt_dir), 'TRACKERS_FOLDER': os.path.dirname(results_dir),
            'TRACKERS_TO_EVAL': [os.path.basename(results_dir)], 'TRACKER_SUB_FOLDER': '', 'OUTPUT_FOLDER': out,
            'BENCHMARK': benchmark, 'SPLIT_TO_EVAL': 'train', 'SKIP_SPLIT_FOL': True, 'SEQ_INFO': dict(seq_lengths),
            'PRINT_CONFIG': False})
        evaluator = trackeval.Evaluator({'USE_PARALLEL': False, 'PRINT_RESULTS': False, 'PRINT_CONFIG': False,
                                         'TIME_PROGRESS': False, 'OUTPUT_SUMMARY': False, 'OUTPUT_DETAILED': False,
                                         'PLOT_CURVES': False, 'LOG_ON_ERROR': None})
        metrics = [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR({'PRINT_CONFIG': False}),
                   trackeval.metrics.Identity({'PRINT_CONFIG': False})]
        with contextlib.redirect_stdout(io.StringIO()):
            raw, _ = evaluator.evaluate([dataset], metrics)
    scores = {}
    for seq, by_class in next(iter(raw['MotChallenge2DBox'].values())).items():
        merged = {}
        for family in by_class['pedestrian'].values():
            merged.update(family)
        row = {}
        for name in METRICS:
            value = merged[_TRACKEVAL_NAMES.get(name, name)] if name != 'GT' else \
                merged['MT'] + merged['PT'] + merged['ML']
            row[name] = float(np.mean(value)) if np.ndim(value) else float(value)
        scores['OVERALL' if seq == 'COMBINED_SEQ' else seq] = row
    return scores
