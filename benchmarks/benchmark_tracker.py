"""Benchmark: FastDeepSORTTracker vs ppdet's built-in DeepSORTTracker, same run, same inputs.

Times ``predict() + update()`` per frame on synthetic crowds of 10, 50 and 100 people (boxes with
noise and 5 % missed detections, per-person appearance embeddings with noise), checks that both
trackers give identical output (the plugin in ``ppdet_compat`` mode, which is the built-in's exact
arithmetic), and prints one JSON object. Timings are medians of interleaved repeats; read the
ratios, not the absolute numbers, on a shared machine. ``plugin_all_options`` turns on every association
option at once (two-stage scores, observation-centric recovery and re-update, moving-average appearance with a
motion term, NSA, the xywh state, camera motion from the detections, time in seconds, the quantile birth rule and
the score boost); ``plugin_motion_only`` runs configs/mot/deepsort/deepsort_motion_only.yml's tracker without
embeddings (the built-in cannot).

    python benchmarks/benchmark_tracker.py [--dets 10 50 100] [--frames 200] [--emb_dim 128] [--repeats 5]
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, REPO)

import ppdet_deepsort.adapter  # noqa: E402,F401  (first: it quiets ppdet's import, which prints on stdout)
from ppdet.modeling.mot.tracker import DeepSORTTracker  # noqa: E402
from ppdet_deepsort.tracker import FastDeepSORTTracker  # noqa: E402


def make_scene(n_people, n_frames, emb_dim, seed=0, width=1920, height=1080):
    """Per frame: (pred_dets N x 6 [cls, score, x1, y1, x2, y2] float32, embeddings N x D float32)."""
    rng = np.random.RandomState(seed)
    h = rng.uniform(80, 220, n_people)
    w = h * rng.uniform(0.35, 0.45, n_people)
    pos = np.c_[rng.uniform(0, width - w), rng.uniform(0, height - h)]
    vel = rng.normal(0, 3, (n_people, 2))
    identity = rng.normal(size=(n_people, emb_dim))
    identity /= np.linalg.norm(identity, axis=1, keepdims=True)
    frames = []
    for _ in range(n_frames):
        pos += vel
        for axis, limit in ((0, width - w), (1, height - h)):
            out = (pos[:, axis] < 0) | (pos[:, axis] > limit)
            vel[out, axis] *= -1
            pos[:, axis] = np.clip(pos[:, axis], 0, limit)
        seen = rng.rand(n_people) > 0.05
        tl = pos[seen] + rng.normal(0, 2, (seen.sum(), 2))
        wh = np.c_[w[seen], h[seen]] * rng.uniform(0.95, 1.05, (seen.sum(), 1))
        dets = np.c_[np.zeros(seen.sum()), rng.uniform(0.5, 1, seen.sum()), tl, tl + wh].astype(np.float32)
        embs = (identity[seen] + rng.normal(0, 0.02, (seen.sum(), emb_dim))).astype(np.float32)
        frames.append((dets, embs))
    return frames


def run(tracker, frames):
    """Seconds spent in predict+update, and the per-frame output (ids and boxes of reported tracks)."""
    spent, output = 0., []
    for dets, embs in frames:
        start = time.perf_counter()
        tracker.predict()
        tracks = tracker.update(dets, embs)
        spent += time.perf_counter() - start
        output.append(sorted((t.track_id, tuple(t.to_tlwh())) for t in tracks
                             if t.is_confirmed() and t.time_since_update <= 1))
    return spent, output


ALL_OPTIONS = dict(high_score_threshold=0.6, low_score_threshold=0.1, new_track_threshold=0.7, observation_centric=True,
                   appearance='ema', motion_weight=0.02, nsa=True, kalman_state='xywh', camera_motion='detections',
                   reference_fps=30., new_track_quantile=0.1, score_boost=True)


def motion_only_keys():
    """The recommended motion-only config's tracker keys (its own section: the base file sets only defaults)."""
    with open(os.path.join(REPO, 'configs', 'mot', 'deepsort', 'deepsort_motion_only.yml')) as f:
        return yaml.safe_load(f)['FastDeepSORTTracker']


def main():
    motion_only = motion_only_keys()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--dets', type=int, nargs='+', default=[10, 50, 100], help='people per frame')
    parser.add_argument('--frames', type=int, default=200, help='frames per run (galleries fill after 100)')
    parser.add_argument('--emb_dim', type=int, default=128, help='embedding size')
    parser.add_argument('--repeats', type=int, default=5, help='interleaved repeats; the median is kept')
    args = parser.parse_args()

    results = []
    for n in args.dets:
        frames = make_scene(n, args.frames, args.emb_dim)
        without_embeddings = [(dets, None) for dets, _ in frames]
        times = {'builtin': [], 'plugin': [], 'plugin_compat': [], 'plugin_all_options': [], 'plugin_motion_only': []}
        outputs = {}
        for _ in range(args.repeats):
            for name, make in (('builtin', DeepSORTTracker), ('plugin', FastDeepSORTTracker),
                               ('plugin_compat', lambda: FastDeepSORTTracker(ppdet_compat=True)),
                               ('plugin_all_options', lambda: FastDeepSORTTracker(**ALL_OPTIONS).at_frame_rate(25)),
                               ('plugin_motion_only', lambda: FastDeepSORTTracker(**motion_only).at_frame_rate(25))):
                spent, outputs[name] = run(make(), without_embeddings if name == 'plugin_motion_only' else frames)
                times[name].append(spent / len(frames) * 1e3)
        ms = {k: float(np.median(v)) for k, v in times.items()}
        results.append({
            'dets_per_frame': n,
            'builtin_ms_per_frame': round(ms['builtin'], 3),
            'plugin_ms_per_frame': round(ms['plugin'], 3),
            'plugin_compat_ms_per_frame': round(ms['plugin_compat'], 3),
            'plugin_all_options_ms_per_frame': round(ms['plugin_all_options'], 3),
            'plugin_motion_only_ms_per_frame': round(ms['plugin_motion_only'], 3),
            'speedup': round(ms['builtin'] / ms['plugin'], 2),
            'speedup_compat': round(ms['builtin'] / ms['plugin_compat'], 2),
            'speedup_all_options': round(ms['builtin'] / ms['plugin_all_options'], 2),
            'speedup_motion_only': round(ms['builtin'] / ms['plugin_motion_only'], 2),
            'identical_output_compat': outputs['builtin'] == outputs['plugin_compat'],
            'reported_boxes': sum(len(f) for f in outputs['builtin']),
        })
    print(json.dumps({
        'benchmark': 'tracker predict+update, FastDeepSORTTracker vs ppdet DeepSORTTracker',
        'frames': args.frames, 'emb_dim': args.emb_dim, 'repeats': args.repeats, 'all_options': ALL_OPTIONS,
        'motion_only': motion_only,
        'machine': {'cpus': os.cpu_count(), 'python': platform.python_version(), 'numpy': np.__version__},
        'results': results,
    }, indent=2))


if __name__ == '__main__':
    main()
