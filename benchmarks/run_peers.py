"""Run the peer trackers ByteTrack and OC-SORT (boxmot 25.0.0, its default configs) on MOT-layout sequences and
write MOTChallenge result files, as the peers of tests/data/dev/peers were run: every detection row given, the
tracker's own thresholds applied. On MOT17-dev this reproduces the stored peer files byte for byte. SORT
(abewley/sort, not on PyPI) is left out.

boxmot needs torch and numpy >= 2.2, which cannot share an environment with paddledet 2.6: run this script with its
own environment, then score the files with the project's evaluator (benchmarks/quality_tracker.py --hard reads them
from tests/data/dev/peers/variants/):

    python3 -m venv peers-venv && peers-venv/bin/pip install boxmot==25.0.0
    peers-venv/bin/python benchmarks/run_peers.py --sequences DIR [DIR ...] --output_dir OUT

Writes {output_dir}/{tracker}/{sequence}.txt.
"""

import argparse
import configparser
import os

import numpy as np

TRACKERS = ('bytetrack', 'ocsort')


def frames(det_path):
    rows = np.loadtxt(det_path, delimiter=',', ndmin=2)
    for frame in np.unique(rows[:, 0]).astype(int):
        yield frame, rows[rows[:, 0] == frame]


def run(name, seq_dir, out_path):
    from boxmot.trackers.factory import create_tracker
    from boxmot.trackers.specs import TrackerSpec
    info = configparser.ConfigParser()
    info.read(os.path.join(seq_dir, 'seqinfo.ini'))
    section = info['Sequence']
    length = int(section['seqLength'])
    width, height = int(section.get('imWidth', 1920)), int(section.get('imHeight', 1080))
    tracker = create_tracker(TrackerSpec(name=name))
    image = np.zeros((height, width, 3), np.uint8)
    by_frame = dict(frames(os.path.join(seq_dir, 'det', 'det.txt')))
    lines = []
    for frame in range(1, length + 1):
        rows = by_frame.get(frame, np.zeros((0, 7)))
        dets = np.c_[rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6], rows[:, 6], np.zeros(len(rows))]
        out = tracker.update(dets.astype(np.float32), image)
        for x1, y1, x2, y2, tid, conf in np.asarray(out).reshape(-1, out.shape[1] if len(out) else 8)[:, :6]:
            lines.append('{},{},{:.3f},{:.3f},{:.3f},{:.3f},{:.4f},-1,-1,-1\n'.format(
                frame, int(tid), x1, y1, x2 - x1, y2 - y1, conf))
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path + '.tmp', 'w') as f:
        f.writelines(lines)
    os.replace(out_path + '.tmp', out_path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sequences', nargs='+', required=True, help='MOT-layout sequence folders')
    parser.add_argument('--output_dir', required=True)
    parser.add_argument('--trackers', nargs='+', default=list(TRACKERS), choices=TRACKERS)
    args = parser.parse_args()
    for name in args.trackers:
        for seq_dir in args.sequences:
            seq = os.path.basename(os.path.normpath(seq_dir))
            run(name, seq_dir, os.path.join(args.output_dir, name, seq + '.txt'))
            print(name, seq, flush=True)


if __name__ == '__main__':
    main()
