"""Benchmark: the detector stage per frame, ppdet's detector in dygraph (as ppdet's tools run it) against the
plugin's fast paths (exported on the fly: paddle.inference with oneDNN, and ONNX Runtime), with the same
weights on the same real frames (MOT17-04, 1920x1080) through the same preprocessing and box mapping, in one
run. Prints one JSON object:

    {"detectors": [{"config", "input_size", "backend", "precision", "builtin_ms_per_frame", "plugin_ms_per_frame",
                    "speedup", "same_boxes", "max_abs_box_diff_px", ...}, ...], ...}

``speedup`` is against dygraph; the ONNX Runtime row also has ``speedup_vs_inference_fp32``.

    python benchmarks/benchmark_detector.py [--frames 3] [--configs CONFIG ...]

``same_boxes``: the fast path gives as many boxes as dygraph, each within 0.5 px (frame pixels) and its score
within 1e-4 of its dygraph twin; every box the model returns is compared (score threshold 0). No pretrained
detector weights exist offline: both paths share random weights made realistic by
``ppdet_deepsort.utils.random_weights`` (speed does not depend on the weights). bf16 rows appear on CPUs with
native bfloat16 only. Each model runs in its own process (ppdet's configuration is global); the two paths
alternate frame by frame, so the machine's load affects both alike.
"""

import argparse
import glob
import json
import os
import platform
import subprocess
import sys
import time

import cv2

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the components, quiets ppdet's import)
import paddle  # noqa: E402
from ppdet.core.workspace import create, load_config  # noqa: E402
from ppdet_deepsort.boxes import pred_dets  # noqa: E402
from ppdet_deepsort.inference import RuntimeOptions  # noqa: E402
from ppdet_deepsort.adapter.builders import build_transforms  # noqa: E402
from ppdet_deepsort.inference.detector import (Detector, compare_boxes, detector_model, input_shape,  # noqa: E402
                                               outputs_scaled)
from ppdet_deepsort.inference.first_call import cpu_supports_bf16  # noqa: E402
from ppdet_deepsort.adapter.cli import logs_to_stderr  # noqa: E402
from ppdet_deepsort.utils.random_weights import randomize_detector  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
FRAMES = os.path.join(REPO, 'tests', 'data', 'MOT17', 'train', 'MOT17-04-FRCNN', 'img1')
CONFIGS = ['configs/mot/deepsort/jde_yolov3_darknet53_30e_1088x608.yml',
           'configs/mot/deepsort/deepsort_ppyoloe_osnet_x0_25.yml']
SAME_BOX_PX, SAME_SCORE = 0.5, 1e-4


def detector_parts(config):
    """(architecture name, reader) of a detector config, or of a DeepSORT config's detector."""
    cfg = load_config(os.path.join(REPO, config))
    if cfg['architecture'] == 'DeepSORT':
        return cfg['DeepSORT']['detector'], cfg['TestMOTReader'], cfg
    return cfg['architecture'], cfg.get('TestMOTReader') or cfg['TestReader'], cfg


def as_rows(tlwh, scores, classes):
    """The Detector's output as compare_boxes' rows [class, score, x1, y1, x2, y2]."""
    return pred_dets(tlwh, scores, classes)


def benchmark_one(config, frames):
    name, reader, cfg = detector_parts(config)
    layer = create(name)
    post_process = cfg[name].get('post_process') if isinstance(cfg.get(name), dict) else None
    transforms = build_transforms(reader['sample_transforms'])
    scaled = outputs_scaled(post_process)
    images = [cv2.imread(path) for path in sorted(glob.glob(os.path.join(FRAMES, '*.jpg')))[:frames + 1]]
    shape = input_shape(reader)

    def model(backend, precision):
        return detector_model(layer, shape, RuntimeOptions(det_backend=backend, det_precision=precision), 0.)

    randomize_detector(layer, Detector(None, transforms, scaled).inputs(images[0]))
    builtin = Detector(model('dygraph', 'fp32'), transforms, scaled, score_threshold=0., class_ids=[])
    paths = {('inference', 'fp32'): model('inference', 'fp32'), ('onnxruntime', 'fp32'): model('onnxruntime', 'fp32')}
    if cpu_supports_bf16():
        paths['inference', 'bf16'] = model('inference', 'bf16')
    plugins = {k: Detector(m, transforms, scaled, score_threshold=0., class_ids=[]) for k, m in paths.items()}

    for detector in [builtin] + list(plugins.values()):  # warm-up: first calls prepare kernels and weights
        detector(images[0])
    seconds = {k: 0. for k in ['builtin'] + list(plugins)}
    worst = {k: {'same_count': True, 'max_abs_box_diff_px': 0., 'max_score_diff': 0., 'min_iou': 1.}
             for k in plugins}
    boxes = 0
    for image in images[1:]:
        start = time.perf_counter()
        reference = as_rows(*builtin(image))
        seconds['builtin'] += time.perf_counter() - start
        boxes += len(reference)
        for kind, detector in plugins.items():
            start = time.perf_counter()
            out = as_rows(*detector(image))
            seconds[kind] += time.perf_counter() - start
            close = compare_boxes(out, reference)
            w = worst[kind]
            w['same_count'] &= close['same_count']
            w['max_abs_box_diff_px'] = max(w['max_abs_box_diff_px'], close['max_abs_box_diff_px'])
            w['max_score_diff'] = max(w['max_score_diff'], close['max_score_diff'])
            w['min_iou'] = min(w['min_iou'], close['min_iou'])
    timed = len(images) - 1
    rows = []
    for kind in plugins:
        w = worst[kind]
        builtin_ms, plugin_ms = seconds['builtin'] / timed * 1e3, seconds[kind] / timed * 1e3
        rows.append({'config': config, 'detector': '{} ({})'.format(name, type(layer.backbone).__name__),
                     'input_size': '{}x{}'.format(shape[2], shape[1]), 'backend': kind[0], 'precision': kind[1],
                     'builtin_ms_per_frame': round(builtin_ms, 1), 'plugin_ms_per_frame': round(plugin_ms, 1),
                     'speedup': round(builtin_ms / plugin_ms, 2),
                     'same_boxes': bool(w['same_count'] and w['max_abs_box_diff_px'] <= SAME_BOX_PX
                                        and w['max_score_diff'] <= SAME_SCORE),
                     'max_abs_box_diff_px': round(w['max_abs_box_diff_px'], 4),
                     'max_score_diff': float('{:.3g}'.format(w['max_score_diff'])),
                     'min_iou': round(w['min_iou'], 5), 'boxes_per_frame': round(boxes / timed, 1),
                     'frames_timed': timed})
    onnx = next(r for r in rows if r['backend'] == 'onnxruntime')
    paddle_fp32 = next(r for r in rows if r['backend'] == 'inference' and r['precision'] == 'fp32')
    onnx['speedup_vs_inference_fp32'] = round(paddle_fp32['plugin_ms_per_frame'] / onnx['plugin_ms_per_frame'], 2)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--frames', type=int, default=3, help='frames timed per detector, after one warm-up frame')
    parser.add_argument('--configs', nargs='+', default=CONFIGS, help='detector or detector + ReID configs')
    parser.add_argument('--one', default=None, help=argparse.SUPPRESS)  # a single config, in a child process
    args = parser.parse_args()
    logs_to_stderr()
    if args.one:
        print(json.dumps(benchmark_one(args.one, args.frames)))
        return
    rows = []
    for config in args.configs:
        out = subprocess.run([sys.executable, os.path.abspath(__file__), '--one', config, '--frames',
                              str(args.frames)], stdout=subprocess.PIPE, check=True, text=True).stdout
        rows += json.loads(out.strip().splitlines()[-1])
    print(json.dumps({
        'benchmark': 'detector stage, ms per frame (preprocessing, model, boxes mapped to the frame)',
        'frames': 'MOT17-04 1920x1080, tests/data/MOT17',
        'weights': 'random, He-scaled, batch norm statistics from the first frame (same in both paths)',
        'same_boxes_rule': 'same count, every box within {} px, scores within {}'.format(SAME_BOX_PX, SAME_SCORE),
        'detectors': rows,
        'bf16': 'measured' if cpu_supports_bf16() else 'not measured: this CPU has no native bfloat16',
        'machine': {'cpus': os.cpu_count(), 'python': platform.python_version(), 'paddle': paddle.__version__},
    }, indent=2))


if __name__ == '__main__':
    main()
