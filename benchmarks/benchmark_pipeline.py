"""Benchmark: the README's main job (PETS09-S2L1 video, saved detections, OSNet ReID, tracker, annotated video) end
to end, in one run:

* ``main_job``: the new defaults against the defaults before issue 29 (paddle.inference, every crop embedded), FPS
  and ratio, same results or not;
* ``reid_backends``: the job with the ReID model on each runtime (--backends) against paddle.inference fp32, and
  whether ``auto`` (the runtime measured fastest) is within 5 % of the fastest measured here;
* ``reid_policies``, ``det_intervals``: FPS, ms per stage and the share of crops embedded, per ReID policy and per
  ``det_interval``;
* ``overlapped``: the stages in line against overlapped (``read_ahead``), same results or not;
* ``detector_reid``: the light detector config (PP-PicoDet S 320, random weights: they time the network) with OSNet
  from the video, the boxes for ReID and tracking taken from the saved detections so that the load is that of a
  trained detector: FPS overlapped and in line;
* ``vs_ppdet_builtins``: the ReID and tracker stages against ppdet's built-in ways (dygraph ReID, DeepSORTTracker)
  on the same frames.

Each job runs --repeats times and keeps its fastest (the machine's noise only slows). Prints one JSON object (logs
go to stderr). Read ratios, not absolute times, on a shared machine.

    python benchmarks/benchmark_pipeline.py [-c configs/mot/deepsort/deepsort_pets09_sample.yml] [--frames 200]
        [--backends default inference:fp32 onnxruntime:fp32 onnxruntime:int8 inference:bf16] [--repeats 2]
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
import cv2  # noqa: E402
import paddle  # noqa: E402
from ppdet.core.workspace import create, load_config  # noqa: E402
from ppdet_deepsort.adapter.builders import build_transforms  # noqa: E402
from ppdet_deepsort.data.det_file import load_detections  # noqa: E402
from ppdet_deepsort.engine.spec import Sources  # noqa: E402
from ppdet_deepsort.inference.detector import Detector, input_shape  # noqa: E402
from ppdet_deepsort.utils.random_weights import randomize_detector  # noqa: E402
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


BACKENDS = ('default', 'inference:fp32', 'onnxruntime:fp32')
BEFORE = {'reid_backend': 'inference', 'reid_batch_frames': 1}  # the defaults before issue 29 (on this machine)
LIGHT = 'configs/mot/deepsort/deepsort_picodet_osnet_x0_25.yml'
PETS_VIDEO = os.path.join(REPO, 'dataset', 'mot', 'PETS09', 'images', 'train', 'PETS09-S2L1', 'PETS09-S2L1.avi')
PETS_DETS = os.path.join(REPO, 'dataset', 'mot', 'PETS09', 'det_results', 'PETS09-S2L1.txt')


def with_opts(opt, **changes):
    """``opt`` (the ``-o`` overrides as ppdet parses them: 'a.b=c' is {'a': {'b': c}}) with ``changes`` (dotted keys
    written with '__': FastDeepSORTTracker__reid_policy)."""
    opt = {k: dict(v) if isinstance(v, dict) else v for k, v in opt.items()}
    for key, value in changes.items():
        *sections, leaf = key.split('__')
        node = opt
        for section in sections:
            node = node.setdefault(section, {})
        node[leaf] = value
    return opt


def job(config, opt, repeats, mode='eval', sources=Sources(), change=None):
    """The job of ``config`` with the ``-o`` overrides ``opt``, its annotated video included, ``repeats`` times:
    {'fps', 'ms_per_frame', 'embedded', 'results'} of its fastest run. ``change(runner)`` may alter the runner."""
    best = None
    for _ in range(repeats):
        runner = runner_for(run_spec(load_cfg(config, opt), mode, sources=sources), REGISTRY)
        if change is not None:
            change(runner)
        with tempfile.TemporaryDirectory() as out:
            stats = runner.run(out, save_videos=True, evaluate=False)
            name = next(iter(stats))
            results = open(os.path.join(out, 'mot_results', name + '.txt')).read()
        s = stats[name]
        run = {'fps': round(s['frames'] / s['seconds'], 2),
               'ms_per_frame': {k: per_frame_ms(v, s['frames']) for k, v in s['stages'].items()},
               'embedded': round(s['embedded'] / s['crops'], 3) if s.get('crops') else None,
               'kept': getattr(runner.embedder.model.runtime, 'kept', None), 'results': results}
        if best is None or run['fps'] > best['fps']:
            best = run
    return best


def compared(runs, reference):
    """The runs without their results, with their FPS ratio and same results against ``runs[reference]``."""
    ref = runs[reference]
    return {label: dict({k: v for k, v in run.items() if k != 'results'}, speedup=round(run['fps'] / ref['fps'], 2),
                        same_results=run['results'] == ref['results']) for label, run in runs.items()}


class _SavedBoxes:
    """A detector that runs (its time is real) but whose boxes are replaced by the sequence's saved detections, frame
    after frame, so that ReID and the tracker get the load of a trained detector."""

    def __init__(self, detector, detections):
        self.detector, self.detections, self.frame = detector, detections, 0

    def __call__(self, image):
        self.detector(image)
        self.frame += 1
        return self.detections.in_frame(self.frame)[:2]


def detector_reid(opt, repeats, work):
    """The light detector config from the sample video, random weights, the saved detections' boxes."""
    cfg = load_config(os.path.join(REPO, LIGHT))
    name = cfg['DeepSORT']['detector']
    reader = cfg['TestMOTReader']
    paddle.seed(0)
    layer = create(name)
    frame = cv2.VideoCapture(PETS_VIDEO).read()[1]
    randomize_detector(layer, Detector(None, build_transforms(reader['sample_transforms']), True).inputs(frame))
    weights = os.path.join(work, 'random.pdparams')
    paddle.save(layer.state_dict(), weights)
    size = input_shape(reader)
    dets = load_detections(PETS_DETS)

    def saved_boxes(runner):
        runner.pipeline.detector = _SavedBoxes(runner.pipeline.detector, dets)

    runs = {label: job(LIGHT, with_opts(opt, det_weights=weights, read_ahead=depth), repeats, 'test',
                       Sources(videos=(PETS_VIDEO,)), saved_boxes) for label, depth in (('in_line', 0),
                                                                                          ('overlapped', 4))}
    return {'config': LIGHT, 'detector': name, 'detector_input_size': '{}x{}'.format(size[2], size[1]),
            'fps': runs['overlapped']['fps'], 'fps_sequential': runs['in_line']['fps'],
            'overlapped_speedup': round(runs['overlapped']['fps'] / runs['in_line']['fps'], 2),
            'same_results': runs['overlapped']['results'] == runs['in_line']['results'],
            'ms_per_frame': runs['overlapped']['ms_per_frame'],
            'ms_per_frame_sequential': runs['in_line']['ms_per_frame']}


def main():
    parser = ArgsParser()
    parser.set_defaults(config=os.path.join(REPO, 'configs/mot/deepsort/deepsort_pets09_sample.yml'))
    parser.add_argument('--frames', type=int, default=200, help='frames for the stage-by-stage comparison')
    parser.add_argument('--backends', nargs='*', default=list(BACKENDS),
                        help="ReID runtimes to run the whole job on, as backend:precision, or 'default'")
    parser.add_argument('--repeats', type=int, default=2, help='runs of each job; the fastest counts')
    parser.add_argument('--no_detector', action='store_true', help='skip the detector + ReID job')
    args = parser.parse_args()
    logs_to_stderr()
    opt, config, repeats = args.opt or {}, args.config, args.repeats
    main_job = compared({'before': job(config, with_opts(opt, **BEFORE), repeats),
                         'default': job(config, opt, repeats)}, 'before')
    backends = {}
    for backend in args.backends:
        keys = {} if backend == 'default' else dict(zip(('reid_backend', 'reid_precision'), backend.split(':')))
        backends[backend] = job(config, with_opts(opt, **keys), repeats)
    if backends:
        backends = compared(backends, 'inference:fp32' if 'inference:fp32' in backends else args.backends[0])
    measured = [run['fps'] for label, run in backends.items() if label != 'default']
    policies = compared({policy: job(config, with_opts(opt, FastDeepSORTTracker__reid_policy=policy), repeats)
                         for policy in ('always', 'on_demand')}, 'always')
    intervals = compared({k: job(config, with_opts(opt, det_interval=k), repeats) for k in (1, 2, 3)}, 1)
    overlapped = compared({'in_line': job(config, with_opts(opt, read_ahead=0), repeats),
                           'overlapped': job(config, with_opts(opt, read_ahead=4), repeats)}, 'in_line')
    cfg = load_cfg(config, opt)
    runner = runner_for(run_spec(cfg, 'eval', use_gpu=set_device(cfg.get('use_gpu', False))), REGISTRY)
    compared_frames, stage_ms, min_cosine = compare_stages(cfg, runner, args.frames)
    report = {
        'benchmark': 'the main job: decode + crops + ReID + tracker + annotated video',
        'config': os.path.relpath(config, REPO),
        'main_job': main_job,
        'reid_backends': backends,
        'auto_vs_fastest': round(backends['default']['fps'] / max(measured), 3) if 'default' in backends and measured
        else None,
        'reid_policies': policies,
        'det_intervals': intervals,
        'overlapped': overlapped,
        'vs_ppdet_builtins': {
            'frames': compared_frames,
            'ms_per_frame': stage_ms,
            'reid_speedup': round(stage_ms['reid_dygraph'] / stage_ms['reid_plugin'], 2),
            'tracker_speedup': round(stage_ms['tracker_builtin'] / stage_ms['tracker_plugin'], 2),
            'reid_min_cosine_vs_dygraph': round(min_cosine, 6),
        },
        'machine': {'cpu': cpu_name(), 'native_bf16': cpu_supports_bf16(), 'python': platform.python_version()},
    }
    if not args.no_detector:
        with tempfile.TemporaryDirectory() as work:
            report['detector_reid'] = detector_reid(opt, repeats, work)
    print(json.dumps(report, indent=2))


if __name__ == '__main__':
    run_tool(main)
