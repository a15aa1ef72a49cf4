"""Tracking quality: FastDeepSORTTracker vs ppdet's built-in DeepSORTTracker, same detections, same embeddings.

Runs on the sequences with ground truth the project has:
  * PETS09-S2L1 frames 1-69 (the bundled sample): with OSNet x0.25 embeddings, and motion only;
  * TUD-Campus and TUD-Stadtmitte (tests/data, no pixels): motion only.
The plugin runs with the demo config's tracker settings (configs/mot/deepsort/deepsort_osnet_x0_25.yml); the
built-in with ppdet's defaults. The built-in cannot run without embeddings; its "motion only" rows feed it one
constant embedding for every box (appearance then never discriminates), the closest it gets. Prints a table
and a JSON object (MOTChallenge convention, see README).

    python tools/quality_tracker.py [-c configs/mot/deepsort/deepsort_osnet_x0_25.yml] [-o key=value ...]
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort  # noqa: E402,F401
from ppdet.modeling.mot.tracker import DeepSORTTracker  # noqa: E402
from ppdet_deepsort.data import MOTDetResultsDataset  # noqa: E402
from ppdet_deepsort.metrics import GroundTruth, evaluate_sequence, summarize  # noqa: E402
from ppdet_deepsort.reid.embedder import embedder_from_config  # noqa: E402
from ppdet_deepsort.utils.cli import ArgsParser, load_cfg, logs_to_stderr, run_tool  # noqa: E402
from ppdet_deepsort.utils.config import build  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
SEQUENCES = [  # (dataset_dir, data_root, det_results_dir, sequence, last frame, with pixels)
    ('dataset/mot', 'PETS09/images/train', 'dataset/mot/PETS09/det_results', 'PETS09-S2L1', 69, True),
    ('tests/data', 'TUD', 'tests/data/TUD/det_results', 'TUD-Campus', 71, False),
    ('tests/data', 'TUD', 'tests/data/TUD/det_results', 'TUD-Stadtmitte', 179, False),
]


def frames_of(dataset_dir, data_root, det_dir, name, last, with_pixels, embedder):
    """The sequence and [(pred_dets, embeddings or None)] for its frames 1..last."""
    dataset = MOTDetResultsDataset(os.path.join(REPO, dataset_dir), data_root, os.path.join(REPO, det_dir))
    seq = dataset.sequence(name)
    out = []
    for frame_id, image, tlwh, score in dataset.frames(seq, with_images=with_pixels):
        if frame_id > last:
            break
        pred_dets = np.c_[np.zeros(len(tlwh)), score, tlwh[:, :2], tlwh[:, :2] + tlwh[:, 2:]].astype(np.float32)
        out.append((pred_dets, embedder(image, tlwh) if with_pixels else None))
    return seq, out


def track(tracker, frames):
    results = {}
    for frame_id, (pred_dets, embeddings) in enumerate(frames, start=1):
        tracker.predict()
        tracks = tracker.update(pred_dets, embeddings)
        rows = [(t.track_id, t.to_tlwh()) for t in tracks if t.is_confirmed() and t.time_since_update <= 1]
        results[frame_id] = (np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows]).reshape(-1, 4))
    return results


def main():
    parser = ArgsParser()
    parser.set_defaults(config=os.path.join(REPO, 'configs/mot/deepsort/deepsort_osnet_x0_25.yml'))
    args = parser.parse_args()
    logs_to_stderr()
    cfg = load_cfg(args.config, args.opt)
    plugin_cfg = build(cfg['DeepSORT']['tracker'])
    embedder = embedder_from_config(cfg, plugin_cfg.input_size)

    rows = []
    for dataset_dir, data_root, det_dir, name, last, pixels in SEQUENCES:
        seq, frames = frames_of(dataset_dir, data_root, det_dir, name, last, pixels, embedder)
        gt = GroundTruth(seq.gt_path)
        motion = [(pred_dets, None) for pred_dets, _ in frames]
        constant = [(pred_dets, np.ones((len(pred_dets), 8), np.float32)) for pred_dets, _ in frames]
        # (mode, plugin input, built-in input); the built-in needs embeddings, so motion only = constant ones
        runs = [('appearance', frames, frames)] if pixels else []
        runs.append(('motion only', motion, constant))
        for mode, plugin_frames, builtin_frames in runs:
            for who, tracker, inputs in (('plugin', build(cfg['DeepSORT']['tracker']), plugin_frames),
                                         ('ppdet built-in', DeepSORTTracker(input_size=plugin_cfg.input_size),
                                          builtin_frames)):
                summary = summarize([evaluate_sequence(gt, track(tracker, inputs), range(1, last + 1))], [name])
                m = summary.loc[name]
                rows.append({'sequence': '{} 1-{}'.format(name, last), 'mode': mode, 'tracker': who,
                             'MOTA': round(float(m['mota']), 4), 'IDF1': round(float(m['idf1']), 4),
                             'IDs': int(m['num_switches'])})
    print('{:<22} {:<12} {:<15} {:>6} {:>6} {:>4}'.format('sequence', 'mode', 'tracker', 'MOTA', 'IDF1', 'IDs'),
          file=sys.stderr)
    for r in rows:
        print('{sequence:<22} {mode:<12} {tracker:<15} {MOTA:>6.1%} {IDF1:>6.1%} {IDs:>4}'.format(**r),
              file=sys.stderr)
    print(json.dumps({'convention': 'MOTChallenge (see README)', 'tracker_config': {
        k: getattr(plugin_cfg, k) for k in ('max_age', 'n_init', 'matching_threshold', 'max_iou_distance', 'budget')},
        'results': rows}, indent=2))


if __name__ == '__main__':
    run_tool(main)
