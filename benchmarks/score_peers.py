"""Score the peer trackers' result files on the harder dev variants (tests/data/dev/peers/variants, written by
benchmarks/run_peers.py on the sequences tests/dev_variants.py makes) with the project's evaluation (equal to
TrackEval's, tests/test_metrics.py), and store the metrics with a hash of the inputs they were run on:

    python benchmarks/score_peers.py [--peers_dir tests/data/dev/peers/variants]

writes {peers_dir}/metrics.json: per variant, each input file's SHA-1 (so that a change of dev_variants.py shows
as stale peers instead of as a quiet comparison on other inputs) and each tracker's combined and per-sequence
metrics. tests/test_quality.py holds the recommended configs to them.
"""

import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'tests'))  # dev_variants

from dev_variants import input_hashes  # noqa: E402
from quality_tracker import hard_datasets, score  # noqa: E402
from ppdet_deepsort.utils.atomic import atomic_write  # noqa: E402
from ppdet_deepsort.adapter.cli import run_tool  # noqa: E402

PEERS = os.path.join(REPO, 'tests', 'data', 'dev', 'peers', 'variants')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--peers_dir', default=PEERS)
    args = parser.parse_args()
    work = tempfile.mkdtemp()
    try:
        stored = {}
        for group, (dataset, sequences) in hard_datasets(work).items():
            variant = group.split(', ')[-1]
            folders = [os.path.dirname(os.path.dirname(gt)) for _, gt, _ in sequences]
            stored[variant] = {'inputs': input_hashes(folders), 'trackers': {}}
            for tracker in sorted(os.listdir(os.path.join(args.peers_dir, variant))):
                results = os.path.join(work, variant, tracker, 'mot_results')
                os.makedirs(results)
                for name, _, _ in sequences:
                    with gzip.open(os.path.join(args.peers_dir, variant, tracker, name + '.txt.gz'), 'rb') as src, \
                            open(os.path.join(results, name + '.txt'), 'wb') as dst:
                        shutil.copyfileobj(src, dst)
                stored[variant]['trackers'][tracker] = score(os.path.dirname(results), dataset, sequences)
        with atomic_write(os.path.join(args.peers_dir, 'metrics.json')) as f:
            json.dump(stored, f, indent=1, sort_keys=True)
        print(json.dumps({v: {t: {k: r[k] for k in ('HOTA', 'MOTA', 'IDF1', 'IDs')} for t, r in s['trackers'].items()}
                          for v, s in stored.items()}, indent=1))
    finally:
        shutil.rmtree(work)


if __name__ == '__main__':
    run_tool(main)
