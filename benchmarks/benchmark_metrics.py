"""Speed and agreement of the plugin's evaluation against TrackEval, on the same files in one run.

    python benchmarks/benchmark_metrics.py [--gt_dir GT] [--results_dir RES] [--benchmark MOT17|MOT15] [--repeat 3]

Defaults: the MOT17-dev ground truth in ../shared/data and OC-SORT's result files there. Times both from reading
the files to the metrics (best of --repeat runs) and prints one JSON object with the speed ratio and the largest
difference over every metric of every sequence and the combination. TrackEval must be installed
(``pip install --no-deps trackeval==1.0.0``: it cannot be installed with its dependencies beside paddledet).
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))  # eval_mot_results
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))  # the TrackEval oracle


import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the components, quiets ppdet's import)
from ppdet_deepsort.metrics import METRICS, evaluate  # noqa: E402
from ppdet_deepsort.adapter.cli import logs_to_stderr  # noqa: E402

from eval_mot_results import load, sequence_names  # noqa: E402
from trackeval_oracle import trackeval_scores  # noqa: E402

SHARED = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'data'))
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
