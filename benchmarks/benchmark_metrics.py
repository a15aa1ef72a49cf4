"""Speed and agreement of the plugin's evaluation against TrackEval, on the same files in one run.

    python benchmarks/benchmark_metrics.py [--gt_dir GT] [--results_dir RES] [--benchmark MOT17|MOT15] [--repeat 3]

Defaults: the MOT17-dev ground truth in ../shared/data and OC-SORT's result files there. Times both from reading
the files to the metrics (best of --repeat runs) and prints one JSON object with the speed ratio and the largest
difference over every metric of every sequence and the combination. TrackEval must be installed
(``pip install --no-deps trackeval==1.0.0``: it cannot be installed with its dependencies beside paddledet).
"""

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))  # eval_mot_results

import numpy as np  # noqa: E402

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the components, quiets ppdet's import)
from ppdet_deepsort.metrics import METRICS, evaluate  # noqa: E402
from ppdet_deepsort.adapter.cli import logs_to_stderr  # noqa: E402

from eval_mot_results import load, sequence_names  # noqa: E402

SHARED = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'data'))
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--gt_dir', default=os.path.join(SHARED, 'MOT17-dev', 'train'))
    parser.add_argument('--results_dir', default=os.path.join(SHARED, 'peers', 'MOT17-dev', 'ocsort'))
    parser.add_argument('--benchmark', default='MOT17', choices=('MOT17', 'MOT16', 'MOT20', 'MOT15'))
    parser.add_argument('--repeat', type=int, default=3)
    args = parser.parse_args()
    logs_to_stderr()
    names = sequence_names(args.gt_dir, None)

    plugin_times, trackeval_times = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        sequences = [load(args.gt_dir, args.results_dir, name) for name in names]
        ours = evaluate(sequences).rows
        plugin_times.append(time.perf_counter() - start)
        lengths = {name: frames.stop - 1 for name, _, _, frames in sequences}
        start = time.perf_counter()
        theirs = trackeval_scores(args.gt_dir, args.results_dir, lengths, args.benchmark)
        trackeval_times.append(time.perf_counter() - start)
    differences = {m: max(abs(ours[s][m] - theirs[s][m]) for s in ours) for m in METRICS if m != 'Frames'}
    print(json.dumps({
        'gt_dir': args.gt_dir, 'results_dir': args.results_dir, 'sequences': names,
        'gt_boxes': int(sum(len(gt.frame) for _, gt, _, _ in sequences)),
        'plugin_seconds': round(min(plugin_times), 3), 'trackeval_seconds': round(min(trackeval_times), 3),
        'speedup': round(min(trackeval_times) / min(plugin_times), 2),
        'same_metrics': max(differences.values()) < 1e-9, 'max_abs_diff': differences,
        'overall': {m: round(ours['OVERALL'][m], 6) for m in ('HOTA', 'MOTA', 'IDF1', 'IDs', 'FP', 'FN')},
    }, indent=2))


if __name__ == '__main__':
    main()
