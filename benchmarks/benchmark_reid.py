"""Benchmark: ReID per crop on every runtime, in one run, on the same real person crops (PETS09-S2L1
ground-truth boxes):

- PCB Pyramid R101 (192x64): ppdet's built-in PCBPyramid in dygraph against the plugin's PCBPyramidEmbedding in
  dygraph, on paddle.inference (oneDNN) fp32 (and bf16 on CPUs with it), ONNX Runtime fp32 and int8;
- OSNet x0.25 (256x128, the bundled weights): dygraph, paddle.inference fp32, ONNX Runtime fp32 and int8.

Prints one JSON object with ms per crop at each batch size, the speedups (against ppdet's built-in, against
paddle.inference fp32, int8 against ONNX Runtime fp32) and the smallest cosine to the reference.

    python benchmarks/benchmark_reid.py [--weights deepsort_pcb_pyramid_r101.pdparams] [--batch_sizes 1 8 32]

Without --weights the PCB models get the same seeded random weights (speed does not depend on them; int8
agreement does, so the OSNet rows are the ones to read for it). int8 is calibrated on the bundled sample's
crops of frames 1-69 and timed on other frames' crops.
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

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the components, quiets ppdet's import)
import paddle  # noqa: E402
from ppdet.modeling.reid.pyramidal_embedding import PCBPyramid  # noqa: E402
from ppdet_deepsort.reid.crops import crop_batch  # noqa: E402
from ppdet_deepsort.inference import RuntimeOptions  # noqa: E402
from ppdet_deepsort.inference.embedder import reid_model  # noqa: E402
from ppdet_deepsort.inference.first_call import cpu_supports_bf16  # noqa: E402
from ppdet_deepsort.reid.osnet import OSNetEmbedding  # noqa: E402
from ppdet_deepsort.adapter.pcb_pyramid import PCBPyramidEmbedding  # noqa: E402
from ppdet_deepsort.reid.weights import load_state_dict  # noqa: E402
from ppdet_deepsort.adapter.cli import logs_to_stderr  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
SEQ = os.path.join(REPO, 'dataset/mot/PETS09/images/train/PETS09-S2L1')
CALIBRATION_FRAMES = 69


def person_crops(count, size=(64, 192)):
    """``count`` real person crops (normalized, ``size`` [w, h]) from the sample's ground-truth boxes after the
    frames that calibrate int8 (1-69), looping over the video if needed."""
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
        if len(rows) and frame_id > CALIBRATION_FRAMES:
            batches.append(crop_batch(image, rows[:, 2:6], size))
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
    osnet = OSNetEmbedding()
    load_state_dict(osnet, os.path.join(REPO, 'weights', 'osnet_x0_25_msmt17.pdparams'))
    calibration = os.path.relpath(SEQ)
    models = {'pcb_pyramid_r101': (builtin, plugin, (64, 192)), 'osnet_x0_25': (None, osnet, (128, 256))}
    report = {}
    for name, (reference_layer, layer, size) in models.items():
        def run(backend, precision):
            return reid_model(layer, size, RuntimeOptions(reid_backend=backend, reid_precision=precision,
                                                          reid_calibration=calibration))
        crops = person_crops(max(args.batch_sizes), size)
        paths = {'plugin_dygraph': run('dygraph', 'fp32'), 'inference_fp32': run('inference', 'fp32')}
        if reference_layer is not None:
            paths = dict(builtin_dygraph=reid_model(reference_layer, size, RuntimeOptions(reid_backend='dygraph')),
                         **paths)
        if cpu_supports_bf16():
            paths['inference_bf16'] = run('inference', 'bf16')
        paths['onnxruntime_fp32'] = run('onnxruntime', 'fp32')
        paths['onnxruntime_int8'] = run('onnxruntime', 'int8')
        reference = next(iter(paths.values()))(crops)
        results = {'ms_per_crop': {}, 'min_cosine_vs_reference': {}, 'max_abs_diff_vs_reference': {}}
        for label, model in paths.items():
            results['ms_per_crop'][label] = {str(b): round(time_per_crop(model, crops, b, args.repeats), 2)
                                             for b in args.batch_sizes}
            out = model(crops)
            cos = (out * reference).sum(1) / np.linalg.norm(out, axis=1) / np.linalg.norm(reference, axis=1)
            results['max_abs_diff_vs_reference'][label] = float(np.abs(out - reference).max())
            results['min_cosine_vs_reference'][label] = round(float(cos.min()), 5)
        results['int8_kept'] = paths['onnxruntime_int8'].runtime.kept == 'int8'
        ms = results['ms_per_crop']
        results['speedup'] = {
            'vs_' + base: {label: {b: round(ms[base][b] / ms[label][b], 2) for b in ms[label]}
                           for label in ms if label != base}
            for base in ('builtin_dygraph', 'inference_fp32') if base in ms}
        results['speedup']['int8_vs_onnxruntime_fp32'] = {
            b: round(ms['onnxruntime_fp32'][b] / ms['onnxruntime_int8'][b], 2) for b in ms['onnxruntime_fp32']}
        results['reference'] = next(iter(paths))
        results['embedding_dim'] = int(reference.shape[1])
        report[name] = results
    print(json.dumps({
        'benchmark': 'ReID, ms per crop on each runtime (best of {} runs per batch size)'.format(args.repeats),
        'weights': {'pcb_pyramid_r101': args.weights or 'seeded random (same in every PCB model)',
                    'osnet_x0_25': 'weights/osnet_x0_25_msmt17.pdparams'},
        'models': report,
        'machine': {'cpus': os.cpu_count(), 'python': platform.python_version(), 'paddle': paddle.__version__,
                    'cpu_bf16': cpu_supports_bf16()},
    }, indent=2))


if __name__ == '__main__':
    main()
