"""Benchmark: PCB Pyramid ReID per crop, ppdet's built-in PCBPyramid (dygraph) vs the plugin's
PCBPyramidEmbedding in dygraph and on its fast path (exported, paddle.inference, oneDNN), with the same
weights on the same real person crops (PETS09-S2L1 ground-truth boxes), in one run. Prints one JSON object
with ms per crop at each batch size, the speedups and the largest embedding difference.

    python tools/benchmark_reid.py [--weights deepsort_pcb_pyramid_r101.pdparams] [--batch_sizes 1 8 32]

Without --weights both models get the same seeded random weights (speed does not depend on them).
"""

import argparse
import json
import os
import platform
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort  # noqa: E402,F401
import paddle  # noqa: E402
from ppdet.modeling.reid.pyramidal_embedding import PCBPyramid  # noqa: E402
from ppdet_deepsort.reid.crops import crop_batch  # noqa: E402
from ppdet_deepsort.reid.embedder import DygraphReID, fast_reid  # noqa: E402
from ppdet_deepsort.reid.pcb_pyramid import PCBPyramidEmbedding  # noqa: E402
from ppdet_deepsort.deploy.predictor import cpu_supports_bf16  # noqa: E402
from ppdet_deepsort.reid.weights import load_state_dict  # noqa: E402
from ppdet_deepsort.utils.cli import logs_to_stderr  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
SEQ = os.path.join(REPO, 'dataset/mot/PETS09/images/train/PETS09-S2L1')


def person_crops(count):
    """``count`` real person crops (192x64, normalized) from the sample's ground-truth boxes."""
    gt = np.loadtxt(os.path.join(SEQ, 'gt', 'gt.txt'), delimiter=',')
    capture = cv2.VideoCapture(os.path.join(SEQ, 'PETS09-S2L1.avi'))
    batches, total, frame_id = [], 0, 0
    while total < count:
        ok, image = capture.read()
        frame_id += 1
        if not ok:
            capture = cv2.VideoCapture(os.path.join(SEQ, 'PETS09-S2L1.avi'))
            frame_id = 0
            continue
        rows = gt[gt[:, 0] == frame_id]
        if len(rows):
            batches.append(crop_batch(image, rows[:, 2:6], (64, 192)))
            total += len(rows)
    return np.concatenate(batches)[:count]


def time_per_crop(model, crops, batch, repeats):
    for _ in range(2):  # warm-up: oneDNN prepares kernels and weights per input shape on the first calls
        model(crops[:batch])
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        model(crops[:batch])
        best = min(best, time.perf_counter() - start)
    return best / batch * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--weights', default=None, help='PCB Pyramid R101 .pdparams (default: seeded random)')
    parser.add_argument('--batch_sizes', type=int, nargs='+', default=[1, 8, 32])
    parser.add_argument('--repeats', type=int, default=3, help='timed runs per case; the fastest is kept')
    args = parser.parse_args()
    logs_to_stderr()

    paddle.seed(0)
    builtin = PCBPyramid(model_name='ResNet101')
    if args.weights:
        load_state_dict(builtin, args.weights)
    plugin = PCBPyramidEmbedding('ResNet101')
    plugin.set_state_dict(builtin.state_dict())
    crops = person_crops(max(args.batch_sizes))
    paths = {'builtin_dygraph': DygraphReID(builtin), 'plugin_dygraph': DygraphReID(plugin)}
    for precision in ['fp32'] + (['bf16'] if cpu_supports_bf16() else []):
        paths['plugin_inference_' + precision] = fast_reid(plugin, [64, 192], precision=precision)

    reference = paths['builtin_dygraph'](crops)
    results = {'ms_per_crop': {}, 'max_abs_diff_vs_builtin': {}, 'min_cosine_vs_builtin': {}}
    for name, model in paths.items():
        results['ms_per_crop'][name] = {str(b): round(time_per_crop(model, crops, b, args.repeats), 2)
                                        for b in args.batch_sizes}
        out = model(crops)
        cos = (out * reference).sum(1) / np.linalg.norm(out, axis=1) / np.linalg.norm(reference, axis=1)
        results['max_abs_diff_vs_builtin'][name] = float(np.abs(out - reference).max())
        results['min_cosine_vs_builtin'][name] = float(cos.min())
    base = results['ms_per_crop']['builtin_dygraph']
    results['speedup_vs_builtin'] = {name: {b: round(base[b] / ms[b], 2) for b in ms}
                                     for name, ms in results['ms_per_crop'].items() if name != 'builtin_dygraph'}
    print(json.dumps(dict({
        'benchmark': 'PCB Pyramid ResNet-101 ReID, ms per 192x64 crop',
        'weights': args.weights or 'seeded random (same in every model)',
        'embedding_dim': int(reference.shape[1]),
        'machine': {'cpus': os.cpu_count(), 'python': platform.python_version(), 'paddle': paddle.__version__,
                    'cpu_bf16': cpu_supports_bf16()},
    }, **results), indent=2))


if __name__ == '__main__':
    main()
