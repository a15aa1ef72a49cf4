"""People and bicycles tracked together or each class apart (``FastDeepSORTTracker.per_class``), on the annotated
bicycles of MOT17-dev: MOT17's ground truth marks people (pedestrians, people on a vehicle) and bicycles, and a
rider's box overlaps their bicycle's all along. No detector's bicycle boxes come with the dev split, so the
detections are the ground-truth boxes of both classes made imperfect as a detector's are: boxes at least a quarter
visible, jittered by 5 % of their size, 10 % of them missed, scores uniform in 0.5-1 (a fixed seed). Each class is
scored against its own ground truth (HOTA, IDF1, ID switches), tracked with the config's keys. Prints one JSON
object.

    python benchmarks/multi_class.py [--config configs/mot/deepsort/deepsort_motion_only.yml] [--seed 0]
"""

import argparse
import json
import os
import sys
import tempfile

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, REPO)

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the components, quiets ppdet's import)
from ppdet.core.workspace import load_config  # noqa: E402
from ppdet_deepsort.data import GroundTruth  # noqa: E402
from ppdet_deepsort.metrics import evaluate  # noqa: E402
from ppdet_deepsort.tracker import FastDeepSORTTracker  # noqa: E402

MOT17_DEV = os.path.join(REPO, 'tests', 'data', 'dev', 'MOT17-dev', 'train')
SEQUENCES = ['MOT17-02-FRCNN', 'MOT17-04-FRCNN', 'MOT17-05-FRCNN']  # the dev sequences with annotated bicycles
CLASSES = {0: ('person', (1, 2)), 1: ('bicycle', (4, ))}  # class: (name, MOT17 ground-truth classes)
FRAME_RATES = {'MOT17-02-FRCNN': 30, 'MOT17-04-FRCNN': 30, 'MOT17-05-FRCNN': 14}


def detections(gt, rng):
    """Per frame, N x 6 [class, score, x1, y1, x2, y2]: the ground truth of both classes as an imperfect detector's."""
    rows = []
    for cls, (_, mot_classes) in CLASSES.items():
        keep = np.isin(gt[:, 7], mot_classes) & (gt[:, 8] >= 0.25)
        rows.append(np.c_[np.full(keep.sum(), cls), gt[keep][:, [0, 2, 3, 4, 5]]])
    rows = np.concatenate(rows)
    rows = rows[rng.uniform(size=len(rows)) >= 0.1]
    tlwh = rows[:, 2:6] + rng.normal(0, 0.05, (len(rows), 4)) * rows[:, [4, 5, 4, 5]]
    tlwh[:, 2:] = np.maximum(tlwh[:, 2:], 2.)
    pred = np.c_[rows[:, 0], rng.uniform(0.5, 1., len(rows)), tlwh[:, :2], tlwh[:, :2] + tlwh[:, 2:]]
    return {int(f): pred[rows[:, 1] == f] for f in np.unique(rows[:, 1])}


def class_gt(gt, cls, folder):
    """The ground truth of one class as a MOTChallenge file whose rows are all targets (class 1, mark 1)."""
    rows = gt[np.isin(gt[:, 7], CLASSES[cls][1])].copy()
    rows[:, 6], rows[:, 7] = 1, 1
    path = os.path.join(folder, 'gt_{}.txt'.format(cls))
    np.savetxt(path, rows, delimiter=',', fmt='%.6g')
    return GroundTruth(path, 'class{}'.format(cls))


def track(keys, frames, num_frames, fps):
    """{class: {frame: (ids, tlwh, scores)}} of one run."""
    tracker = FastDeepSORTTracker(**keys).in_mode(False).at_frame_rate(fps)
    results = {cls: {} for cls in CLASSES}
    for frame_id in range(1, num_frames + 1):
        tracker.predict()
        tracker.update(frames.get(frame_id, np.zeros((0, 6))))
        ids, tlwh, scores = tracker.outputs()
        classes = tracker.classes_of(ids)
        for cls in CLASSES:
            keep = classes == cls
            results[cls][frame_id] = ids[keep], tlwh[keep], scores[keep]
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=os.path.join(REPO, 'configs', 'mot', 'deepsort',
                                                         'deepsort_motion_only.yml'))
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    section = load_config(args.config)['FastDeepSORTTracker']
    keys = {k: section[k] for k in section.schema}
    out = {'config': os.path.relpath(args.config, REPO), 'seed': args.seed, 'sequences': {}}
    totals = {}
    with tempfile.TemporaryDirectory() as folder:
        for seq in SEQUENCES:
            gt = np.loadtxt(os.path.join(MOT17_DEV, seq, 'gt', 'gt.txt'), delimiter=',')
            frames = detections(gt, np.random.RandomState(args.seed))
            num_frames = int(gt[:, 0].max())
            runs = {per_class: track(dict(keys, per_class=per_class), frames, num_frames, FRAME_RATES[seq])
                    for per_class in (True, False)}
            out['sequences'][seq] = {}
            for cls, (name, _) in CLASSES.items():
                truth = class_gt(gt, cls, folder)
                scored = [('{} {}'.format('apart' if per_class else 'together', seq), truth, run[cls],
                           list(range(1, num_frames + 1))) for per_class, run in runs.items()]
                rows = evaluate(scored).rows
                out['sequences'][seq][name] = {
                    label.split()[0]: {m: round(float(rows[label][m]), 3) for m in ('HOTA', 'IDF1', 'IDs', 'MOTA')}
                    for label in (s[0] for s in scored)}
                for label, metrics in out['sequences'][seq][name].items():
                    totals.setdefault((name, label), []).append(metrics)
    out['mean'] = {'{} {}'.format(name, label): dict({m: round(float(np.mean([r[m] for r in rows])), 3)
                                                      for m in ('HOTA', 'IDF1', 'MOTA')},
                                                     IDs=sum(r['IDs'] for r in rows))
                   for (name, label), rows in totals.items()}
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
