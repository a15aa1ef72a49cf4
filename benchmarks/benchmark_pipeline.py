"""Benchmark: the README's main job (PETS09-S2L1 video, saved detections, OSNet ReID, tracker, annotated
video) end to end, reading in line and reading ahead (decode, detections and crops in a background thread),
where the time goes, the ReID and tracker stages against ppdet's built-in ways of doing them (dygraph ReID,
DeepSORTTracker) on the same frames in the same run, and the whole job's FPS with the ReID model on each
runtime (--backends; each against paddle.inference fp32, with whether its result file is the same). Prints one
JSON object (logs go to stderr). Read ratios, not absolute times, on a shared machine.

    python benchmarks/benchmark_pipeline.py [-c configs/mot/deepsort/deepsort_pets09_sample.yml] [--frames 200]
        [--backends default inference:fp32 inference:bf16 onnxruntime:fp32 onnxruntime:int8]
"""

import json
import os
import platform
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the components, quiets ppdet's import)
from ppdet.modeling.mot.tracker import DeepSORTTracker  # noqa: E402
from ppdet_deepsort.adapter.spec import REGISTRY, run_spec  # noqa: E402
from ppdet_deepsort.engine.models import runner_for  # noqa: E402
from ppdet_deepsort.reid.crops import crop_batch  # noqa: E402
from ppdet_deepsort.inference import RuntimeOptions  # noqa: E402
from ppdet_deepsort.adapter.builders import load_reid  # noqa: E402
from ppdet_deepsort.inference.embedder import reid_model  # noqa: E402
from ppdet_deepsort.inference.first_call import cpu_name, cpu_supports_bf16  # noqa: E402
from ppdet_deepsort.adapter.cli import ArgsParser, load_cfg, logs_to_stderr, run_tool, set_device  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))


def per_frame_ms(seconds, frames):
    return round(seconds / frames * 1e3, 3)


def compare_stages(cfg, runner, frames_limit):
    """ReID model and tracker, plugin vs ppdet built-in, on the first frames of the first sequence."""
    dataset = runner.dataset
    seq = dataset.sequence(dataset.sequences()[0])
    size = runner.embedder.input_size
    dygraph = reid_model(load_reid(cfg), size, RuntimeOptions(reid_backend='dygraph'))
    fast = runner.embedder.model
    inputs, times = [], {'reid_plugin': 0., 'reid_dygraph': 0., 'tracker_plugin': 0., 'tracker_builtin': 0.}
    min_cosine = 1.
    for frame_id, image, tlwh, score in dataset.frames(seq):
        if frame_id > frames_limit:
            break
        batch = crop_batch(image, tlwh, size)
        t0 = time.perf_counter()
        a = fast(batch)
        t1 = time.perf_counter()
        b = dygraph(batch)
        t2 = time.perf_counter()
        times['reid_plugin'] += t1 - t0
        times['reid_dygraph'] += t2 - t1
        if len(b):
            cosine = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
            min_cosine = min(min_cosine, float(cosine.min()))
        pred = np.c_[np.zeros(len(tlwh)), score, tlwh[:, :2], tlwh[:, :2] + tlwh[:, 2:]].astype(np.float32)
        inputs.append((pred, b))
    for key, tracker in (('tracker_plugin', runner.pipeline.make_tracker()), ('tracker_builtin', DeepSORTTracker())):
        start = time.perf_counter()
        for pred, embeddings in inputs:
            tracker.predict()
            tracker.update(pred, embeddings)
        times[key] = time.perf_counter() - start
    n = len(inputs)
    return n, {k: per_frame_ms(v, n) for k, v in times.items()}, min_cosine


BACKENDS = ('default', 'inference:fp32', 'inference:bf16', 'onnxruntime:fp32', 'onnxruntime:int8')


def per_backend(config, opt, backends):
    """The whole job (annotated video included) with the ReID model on each 'backend:precision' ('default': the
    config's own keys), one after the other: FPS, and the FPS ratio and same results against inference:fp32."""
    runs = {}
    for backend in backends:
        keys = {} if backend == 'default' else dict(zip(('reid_backend', 'reid_precision'), backend.split(':')))
        runner = runner_for(run_spec(load_cfg(config, dict(opt, **keys)), 'eval'), REGISTRY)
        with tempfile.TemporaryDirectory() as out:
            stats = runner.run(out, save_videos=True, evaluate=False)
            name = next(iter(stats))
            results = open(os.path.join(out, 'mot_results', name + '.txt')).read()
        runs[backend] = (stats[name]['frames'] / stats[name]['seconds'], results, runner.embedder.model.runtime)
    reference = runs.get('inference:fp32')
    report = {}
    for backend, (fps, results, runtime) in runs.items():
        report[backend] = {'fps': round(fps, 2), 'kept': getattr(runtime, 'kept', None)}
        if reference is not None:
            report[backend].update(speedup_vs_inference_fp32=round(fps / reference[0], 2),
                                   same_results_as_inference_fp32=results == reference[1])
    return report


def main():
    parser = ArgsParser()
    parser.set_defaults(config=os.path.join(REPO, 'configs/mot/deepsort/deepsort_pets09_sample.yml'))
    parser.add_argument('--frames', type=int, default=200, help='frames for the stage-by-stage comparison')
    parser.add_argument('--backends', nargs='*', default=list(BACKENDS),
                        help="ReID runtimes to run the whole job on, as backend:precision, or 'default'")
    args = parser.parse_args()
    logs_to_stderr()
    backends = per_backend(args.config, args.opt or {}, args.backends)
    cfg = load_cfg(args.config, args.opt)
    runner = runner_for(run_spec(cfg, 'eval', use_gpu=set_device(cfg.get('use_gpu', False))), REGISTRY)
    runs = {}
    for label, depth in (('in_line', 0), ('read_ahead', runner.read_ahead or 4)):
        runner.read_ahead = depth
        runner.embedder.seconds = dict.fromkeys(runner.embedder.seconds, 0.)
        with tempfile.TemporaryDirectory() as out:
            stats = runner.run(out, save_videos=True, evaluate=False)
            name = next(iter(stats))
            results = open(os.path.join(out, 'mot_results', name + '.txt')).read()
        runs[label] = (stats[name], dict(runner.embedder.seconds), results, depth)
    s, reid, _, depth = runs['read_ahead']
    n = s['frames']
    stages = {k: per_frame_ms(v, n) for k, v in s['stages'].items()}
    compared_frames, compared, min_cosine = compare_stages(cfg, runner, args.frames)
    builtin_ms = (stages['read'] + per_frame_ms(reid['crops'], n) + compared['reid_dygraph']
                  + compared['tracker_builtin'] + stages['output'])
    print(json.dumps({
        'benchmark': 'demo pipeline: decode + crops + ReID + tracker + annotated video',
        'sequence': name, 'frames': n, 'config': os.path.relpath(args.config, REPO),
        'fps': round(n / s['seconds'], 2),
        'read_ahead': {
            'depth': depth,
            'fps_in_line': round(n / runs['in_line'][0]['seconds'], 2),
            'fps_read_ahead': round(n / s['seconds'], 2),
            'speedup': round(runs['in_line'][0]['seconds'] / s['seconds'], 2),
            'identical_results': runs['in_line'][2] == runs['read_ahead'][2],
        },
        'ms_per_frame': dict(stages, total=per_frame_ms(s['seconds'], n)),
        'reid_ms_per_frame': {'crops': per_frame_ms(reid['crops'], n), 'model': per_frame_ms(reid['model'], n)},
        'vs_ppdet_builtins': {
            'frames': compared_frames,
            'ms_per_frame': compared,
            'reid_speedup': round(compared['reid_dygraph'] / compared['reid_plugin'], 2),
            'tracker_speedup': round(compared['tracker_builtin'] / compared['tracker_plugin'], 2),
            'reid_min_cosine_vs_dygraph': round(min_cosine, 6),
            'pipeline_fps_with_builtins_estimate': round(1e3 / builtin_ms, 2),
        },
        'reid_backends': backends,
        'machine': {'cpu': cpu_name(), 'native_bf16': cpu_supports_bf16(), 'python': platform.python_version()},
    }, indent=2))


if __name__ == '__main__':
    run_tool(main)
