"""Detector + ReID + tracker in one config (the seed's second method), without pretrained detector weights:
random weights, reduced input size, real frames. Box mapping from the letterboxed input, export of the
detector on paddle 3, and the exported runner against the dygraph path."""

import json
import os
import pathlib
import re
import shutil
import textwrap

import numpy as np
import pytest
from conftest import MOT17, REPO, default_reid_log, pets_clip, run_tool
from ppdet.data.transform import LetterBoxResize

from ppdet_deepsort.inference.backends import OnnxRuntimeBackend, PaddleInferenceBackend
from ppdet_deepsort.inference.detector import compare_boxes, letterbox_to_image

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

SMALL = """
_BASE_: ['{base}']
{reader}: &small
  inputs_def:
    image_shape: [3, 160, 288]
  sample_transforms:
    - Decode: {{}}
    - LetterBoxResize: {{target_size: [160, 288]}}
    - NormalizeImage: {{mean: [0, 0, 0], std: [1, 1, 1], is_scale: True}}
    - Permute: {{}}
EvalMOTReader: *small
TestMOTReader: *small
JDEBBoxPostProcess:
  decode: {{name: JDEBox, conf_thresh: 0.3, downsample_ratio: 32}}
  nms: {{name: MultiClassNMS, keep_top_k: 12, score_threshold: 0.01, nms_threshold: 0.5, nms_top_k: 2000,
         normalized: true}}
  return_idx: false
"""

RANDOM_WEIGHTS = """
import sys
sys.path.insert(0, {repo!r})
import cv2, paddle, ppdet_deepsort
from ppdet.core.workspace import load_config, create
from ppdet_deepsort.adapter.builders import build_transforms
from ppdet_deepsort.inference.detector import Detector
from ppdet_deepsort.utils.random_weights import randomize_detector
cfg = load_config({config!r})
paddle.seed(0)
model = create({arch!r})
reader = cfg.get('TestMOTReader') or cfg['TestReader']
frame = cv2.imread({frame!r})
randomize_detector(model, Detector(None, build_transforms(reader['sample_transforms']), True).inputs(frame)
                   if {calibrate!r} else None)
paddle.save(model.state_dict(), {out!r})
"""
FRAME = os.path.join(MOT17, 'MOT17-05-FRCNN', 'img1', '000001.jpg')


def random_weights(folder, config, calibrate=False, arch='YOLOv3'):
    """Random weights for the detector of ``config`` (utils/random_weights): calibrated on a real frame for
    realistic boxes, or not, for boxes steady enough to track."""
    weights = folder / (config.stem + '_random{}.pdparams'.format('_calibrated' if calibrate else ''))
    script = folder / (weights.stem + '.py')
    script.write_text(RANDOM_WEIGHTS.format(repo=REPO, config=str(config), arch=arch, frame=FRAME, out=str(weights),
                                            calibrate=calibrate))
    run_tool(str(script))
    return weights


def small_config(folder, base, reader='TestReader'):
    path = folder / (os.path.splitext(os.path.basename(base))[0] + '_small.yml')
    path.write_text(SMALL.format(base=os.path.join(REPO, base), reader=reader))
    return path


@pytest.fixture(scope='module')
def jde(tmp_path_factory):
    """Configs for JDE YOLOv3 at 160x288 and random weights for it."""
    folder = tmp_path_factory.mktemp('jde')
    detector = small_config(folder, 'configs/mot/deepsort/jde_yolov3_darknet53_30e_1088x608.yml')
    tracking = small_config(folder, 'configs/mot/deepsort/deepsort_yolov3_pcb_pyramid_r101.yml')
    with open(tracking, 'a') as f:  # OSNet keeps the test fast; the detector path is what is tested
        f.write(textwrap.dedent('''
            DeepSORT: {detector: YOLOv3, reid: OSNetEmbedding, tracker: FastDeepSORTTracker}
            OSNetEmbedding: {model_name: osnet_x0_25}
            FastDeepSORTTracker: {input_size: [128, 256], n_init: 1}
            reid_weights: %s
            det_score_threshold: 0.0
            ''' % os.path.join(REPO, 'weights', 'osnet_x0_25_msmt17.pdparams')))
    return detector, tracking, random_weights(folder, detector)


def test_letterbox_mapping_lands_where_the_pixels_went():
    """A box drawn in the frame, letterboxed by ppdet's own operator, is found in the network input and
    mapped back onto itself."""
    for (h, w), target in (((1080, 1920), [608, 1088]), ((480, 640), [608, 1088]), ((576, 768), [160, 288])):
        frame = np.zeros((h, w, 3), np.uint8)
        x1, y1, x2, y2 = int(w * 0.3), int(h * 0.2), int(w * 0.45), int(h * 0.8)
        frame[y1:y2, x1:x2] = 255
        sample = LetterBoxResize(target)({'image': frame, 'im_shape': np.array([h, w], np.float32)})
        ys, xs = np.nonzero(sample['image'][:, :, 0] > 200)
        found = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float64)
        mapped = letterbox_to_image(found, target, (h, w))[0]
        scale = max(h / target[0], w / target[1])
        np.testing.assert_allclose(mapped, [x1, y1, x2, y2], atol=scale)  # within one input pixel


def test_detector_pipeline_runs_on_real_frames(tmp_path, jde):
    _, tracking, weights = jde
    seq = 'MOT17-05-FRCNN'
    root = tmp_path / 'data'
    shutil.copytree(os.path.join(MOT17, seq), root / seq, ignore=shutil.ignore_patterns('det'))
    out = tmp_path / 'out'
    proc = run_tool('tools/eval_mot.py', '-c', str(tracking), '--output_dir', str(out), '--scaled=True',
                    '-o', 'det_weights={}'.format(weights), 'EvalMOTDataset.dataset_dir={}'.format(tmp_path),
                    'EvalMOTDataset.data_root=data')
    assert 'Detector YOLOv3 (letterboxed boxes)' in proc.stdout
    assert '--scaled=True does not fit YOLOv3' in proc.stdout  # JDE's post-process does not rescale
    table = np.loadtxt(out / 'mot_results' / (seq + '.txt'), delimiter=',', ndmin=2)
    assert len(table) > 0 and set(table[:, 0].astype(int)) <= set(range(1, 7))
    assert 'MOT17-05-FRCNN' in (out / 'mot_metrics.json').read_text()

    bad = run_tool('tools/eval_mot.py', '-c', str(tracking), '--det_results_dir', str(tmp_path),
                   '-o', 'det_weights={}'.format(weights), check=False)
    assert bad.returncode == 1 and 'are for configs with detector: None' in bad.stdout


SMALL_PPYOLOE = """
_BASE_: ['{base}']
TestReader: &small
  inputs_def:
    image_shape: [3, 320, 320]
  sample_transforms:
    - Decode: {{}}
    - Resize: {{target_size: [320, 320], keep_ratio: False, interp: 2}}
    - NormalizeImage: {{mean: [0., 0., 0.], std: [1., 1., 1.], norm_type: none}}
    - Permute: {{}}
TestMOTReader: *small
EvalMOTReader: *small
"""


@pytest.fixture(scope='module')
def ppyoloe(tmp_path_factory):
    """PP-YOLOE+ s at 320x320: the detector config, the tracking config and random weights."""
    folder = tmp_path_factory.mktemp('ppyoloe')
    configs = []
    for base in ('ppyoloe_plus_crn_s_640.yml', 'deepsort_ppyoloe_osnet_x0_25.yml'):
        path = folder / base.replace('.yml', '_small.yml')
        path.write_text(SMALL_PPYOLOE.format(base=os.path.join(REPO, 'configs/mot/deepsort', base)))
        configs.append(path)
    return configs[0], configs[1], random_weights(folder, configs[0], calibrate=True)


def test_fast_path_gives_the_dygraph_boxes(jde, ppyoloe):
    """benchmarks/benchmark_detector.py on real frames: the exported detector with oneDNN (the conv + leaky ReLU
    fusion left out, upsampling traced as a broadcast, RepVGG blocks fused) and on ONNX Runtime (JDE's anchors
    traced as a constant, the leaky ReLU slopes restored) returns dygraph's boxes."""
    proc = run_tool('benchmarks/benchmark_detector.py', '--frames', '1', '--configs', str(jde[0]), str(ppyoloe[0]))
    report = json.loads(proc.stdout[proc.stdout.index('{'):])
    rows = [row for row in report['detectors'] if row['precision'] == 'fp32']
    assert {(row['config'], row['backend']) for row in rows} == {
        (str(config), backend) for config in (jde[0], ppyoloe[0]) for backend in ('inference', 'onnxruntime')}
    for row in rows:
        assert row['same_boxes'], row
        assert row['boxes_per_frame'] >= 5 and row['max_abs_box_diff_px'] <= 0.5 and row['min_iou'] > 0.9, row
        assert row['builtin_ms_per_frame'] > 0 and row['plugin_ms_per_frame'] > 0
    sizes = {row['config']: row['input_size'] for row in rows}
    assert sizes == {str(jde[0]): '288x160', str(ppyoloe[0]): '320x320'}


def test_compare_boxes_pairs_boxes_whatever_their_order():
    rng = np.random.RandomState(0)
    xy = rng.uniform(0, 500, (20, 2))
    boxes = np.column_stack([np.zeros(20), rng.uniform(0.3, 1, 20), xy, xy + rng.uniform(20, 80, (20, 2))])
    same = compare_boxes(boxes[::-1], boxes)
    assert same['same_count'] and same['max_abs_box_diff_px'] == 0 and same['min_iou'] == 1
    moved = boxes.copy()
    moved[3, 2:] += 2.
    assert compare_boxes(moved, boxes)['max_abs_box_diff_px'] == pytest.approx(2.)
    assert not compare_boxes(boxes[1:], boxes)['same_count']
    relabelled = boxes.copy()
    relabelled[0, 0] = 1  # never paired with a box of another class
    assert not compare_boxes(relabelled, boxes)['same_count']


def test_exported_detector_runner_matches_the_dygraph_path(tmp_path, jde):
    detector, tracking, weights = jde
    run_tool('tools/export_model.py', '-c', str(detector), '-o', 'weights={}'.format(weights),
             '--output_dir', str(tmp_path / 'inference'))
    run_tool('tools/export_model.py', '-c', 'configs/mot/deepsort/deepsort_osnet_x0_25.yml', '-o',
             'FastDeepSORTTracker.n_init=1', '--output_dir', str(tmp_path / 'inference'), '--onnx')
    reid_dir = tmp_path / 'inference' / 'deepsort_osnet_x0_25'
    crops = {'crops': np.random.RandomState(0).randn(3, 3, 256, 128).astype(np.float32)}
    np.testing.assert_allclose(OnnxRuntimeBackend(str(reid_dir / 'model.onnx'))(crops)[0],
                               PaddleInferenceBackend(str(reid_dir))(crops)[0], atol=1e-4)  # --onnx: the same model
    det_dir = tmp_path / 'inference' / detector.stem
    assert 'scaled: false' in (det_dir / 'infer_cfg.yml').read_text()

    clip = pets_clip(tmp_path, 8) / 'walk.avi'
    deploy = run_tool('deploy/python/mot_sde_infer.py', '--model_dir', str(det_dir), '--reid_model_dir',
                      str(tmp_path / 'inference' / 'deepsort_osnet_x0_25'), '--video_file', str(clip),
                      '--threshold', '0', '--output_dir', str(tmp_path / 'deploy'))
    assert '{} runs on the runtime measured fastest here'.format(det_dir.name) in deploy.stdout  # --backend auto
    assert default_reid_log('deepsort_osnet_x0_25') in deploy.stdout
    for backend in ('paddle', 'onnxruntime'):  # the runner's --backend, both models on it
        run = run_tool('deploy/python/mot_sde_infer.py', '--model_dir', str(det_dir), '--reid_model_dir',
                       str(tmp_path / 'inference' / 'deepsort_osnet_x0_25'), '--video_file', str(clip),
                       '--threshold', '0', '--output_dir', str(tmp_path / backend), '--backend', backend)
        assert ('runs on ONNX Runtime' in run.stdout) == (backend == 'onnxruntime')
        by_backend = np.loadtxt(tmp_path / backend / 'mot_results' / 'walk.txt', delimiter=',', ndmin=2)
        deployed = np.loadtxt(tmp_path / 'deploy' / 'mot_results' / 'walk.txt', delimiter=',', ndmin=2)
        assert by_backend.shape == deployed.shape
        np.testing.assert_array_equal(by_backend[:, :2], deployed[:, :2])
        np.testing.assert_allclose(by_backend[:, 2:6], deployed[:, 2:6], atol=0.1)
    run_tool('tools/infer_mot.py', '-c', str(tracking), '--video_file', str(clip), '--output_dir',
             str(tmp_path / 'tools'), '-o', 'det_weights={}'.format(weights), 'reid_precision=fp32',
             'det_backend=dygraph', 'FastDeepSORTTracker.max_age=30', 'FastDeepSORTTracker.matching_threshold=0.4')
    deployed = np.loadtxt(tmp_path / 'deploy' / 'mot_results' / 'walk.txt', delimiter=',', ndmin=2)
    dygraph = np.loadtxt(tmp_path / 'tools' / 'mot_results' / 'walk.txt', delimiter=',', ndmin=2)
    assert len(deployed) >= 5 and deployed.shape == dygraph.shape
    np.testing.assert_array_equal(deployed[:, :2], dygraph[:, :2])  # same ids in the same frames
    # exported kernels round differently from dygraph ones: boxes agree to a tenth of a pixel
    np.testing.assert_allclose(deployed[:, 2:6], dygraph[:, 2:6], atol=0.1)


# random weights give small boxes that move from frame to frame: accept any pair to get tracks to compare
LENIENT = ['FastDeepSORTTracker.max_iou_distance=1.0', 'FastDeepSORTTracker.n_init=1']


def exported_with_osnet(tmp_path, detector, weights, settings):
    """The detector config ``detector`` exported with ``weights`` and ``settings`` (-o), and OSNet with LENIENT
    tracker keys, into ``tmp_path/inference``; returns a folder of MOT17-05's frames to track."""
    run_tool('tools/export_model.py', '-c', str(detector), '-o', 'weights={}'.format(weights), *settings,
             '--output_dir', str(tmp_path / 'inference'))
    run_tool('tools/export_model.py', '-c', 'configs/mot/deepsort/deepsort_osnet_x0_25.yml', '-o', *LENIENT,
             '--output_dir', str(tmp_path / 'inference'))
    frames = tmp_path / 'frames'
    shutil.copytree(os.path.join(MOT17, 'MOT17-05-FRCNN', 'img1'), frames)
    return frames


def deployed_and_tooled(tmp_path):
    """The exported runner's and tools/infer_mot.py's results on the frames, after checking they are the same tracks
    (ids and classes exactly, boxes within 0.01 px)."""
    deployed = np.loadtxt(tmp_path / 'deploy' / 'mot_results' / 'frames.txt', delimiter=',', ndmin=2)
    tooled = np.loadtxt(tmp_path / 'tools' / 'mot_results' / 'frames.txt', delimiter=',', ndmin=2)
    assert len(tooled) >= 5 and deployed.shape == tooled.shape
    np.testing.assert_array_equal(deployed[:, [0, 1, 7]], tooled[:, [0, 1, 7]])
    np.testing.assert_allclose(deployed[:, 2:6], tooled[:, 2:6], atol=0.01)
    return deployed, tooled


def test_a_general_detector_exports_reloads_and_tracks_as_the_tools(tmp_path, ppyoloe):
    """PP-YOLOE+ s, a light general detector ppdet registers (boxes rescaled): exported, reloaded by
    paddle.inference, and the exported runner gives the tracks tools/infer_mot.py gives (fast path). Keeping every
    class, the runner writes each track's class as PP-Tracking does, and so does the tool with ``metric: MCMOT``."""
    detector, tracking, weights = ppyoloe
    settings = ['det_score_threshold=0.3', 'det_class_ids=[]']  # every class: random weights
    frames = exported_with_osnet(tmp_path, detector, weights, settings)
    tools = run_tool('tools/infer_mot.py', '-c', str(tracking), '--image_dir', str(frames), '--output_dir',
                     str(tmp_path / 'tools'), '-o', 'det_weights={}'.format(weights), 'reid_precision=fp32',
                     'det_precision=fp32', 'metric=MCMOT', *settings, *LENIENT)  # fp32 as the runner
    assert 'Detector YOLOv3 (rescaled boxes)' in tools.stdout
    assert 'YOLOv3 runs on the runtime measured fastest here' in tools.stdout  # det_backend: auto
    run_tool('deploy/python/mot_sde_infer.py', '--model_dir', str(tmp_path / 'inference' / detector.stem),
             '--reid_model_dir', str(tmp_path / 'inference' / 'deepsort_osnet_x0_25'), '--image_dir', str(frames),
             '--output_dir', str(tmp_path / 'deploy'))
    deployed, _ = deployed_and_tooled(tmp_path)
    assert len(set(deployed[:, 7])) > 1


def test_people_and_vehicles_from_one_config(tmp_path, ppyoloe):
    """deepsort_ppyoloe_people_vehicles.yml with PP-YOLOE+ s (random weights: classes and shapes, not accuracy): the
    classes of det_class_ids, and no other, reach the MOTChallenge file's eighth column and the CSV; each track
    keeps one class; the vehicles' crops do not go through the ReID model (random weights find vehicles here).
    PaddleDetection's own infer_mot.py keeps the same boxes and gives the same tracks and classes (both with the
    detector in dygraph: random weights score many boxes near the threshold, where the fast path's rounding may
    tip one; test_fast_path_gives_the_dygraph_boxes compares the two paths)."""
    _, _, weights = ppyoloe
    config = tmp_path / 'people_vehicles_small.yml'
    config.write_text(SMALL_PPYOLOE.format(base=os.path.join(REPO, 'configs/mot/deepsort',
                                                             'deepsort_ppyoloe_people_vehicles.yml')))
    frames = tmp_path / 'frames'
    shutil.copytree(os.path.join(MOT17, 'MOT17-05-FRCNN', 'img1'), frames)
    proc = run_tool('tools/infer_mot.py', '-c', str(config), '--image_dir', str(frames), '--output_dir',
                    str(tmp_path / 'out'), '--save_format', 'csv', '-o', 'det_weights={}'.format(weights),
                    'det_score_threshold=0.1', 'det_backend=dygraph', *LENIENT)
    rows = np.loadtxt(tmp_path / 'out' / 'mot_results' / 'frames.txt', delimiter=',', ndmin=2)
    classes = rows[:, 7].astype(int)
    assert set(classes) <= {0, 1, 2, 3, 5, 7} and len(set(classes)) > 1
    assert all(len(set(classes[rows[:, 1] == i])) == 1 for i in set(rows[:, 1]))
    table = np.genfromtxt(tmp_path / 'out' / 'mot_results' / 'frames.csv', delimiter=',', names=True)
    np.testing.assert_array_equal(table['class'].astype(int), classes)
    embedded, crops = map(int, re.search(r'ReID embedded (\d+) of (\d+) crops', proc.stdout).groups())
    assert embedded < crops
    host = os.path.join(REPO, '..', 'shared', 'PaddleDetection-2.6.0', 'tools', 'infer_mot.py')
    if os.path.isfile(host):  # CI has PaddleDetection's tools beside the project
        run_tool(host, '-c', str(config), '--image_dir', str(frames), '--output_dir', str(tmp_path / 'host'),
                 '--draw_threshold', '0', '--scaled', 'True', '-o', 'det_weights={}'.format(weights),
                 'det_score_threshold=0.1', *LENIENT)
        hosted = np.loadtxt(tmp_path / 'host' / 'mot_results' / 'frames.txt', delimiter=',', ndmin=2)
        order = np.lexsort((hosted[:, 1], hosted[:, 0]))
        ours = rows[np.lexsort((rows[:, 1], rows[:, 0]))]
        np.testing.assert_array_equal(hosted[order][:, [0, 1, 7]], ours[:, [0, 1, 7]])
        np.testing.assert_allclose(hosted[order][:, 2:6], ours[:, 2:6], atol=0.01)


def test_a_bad_detector_backend_is_named(tmp_path, ppyoloe):
    _, tracking, weights = ppyoloe
    proc = run_tool('tools/infer_mot.py', '-c', str(tracking), '--image_dir', os.path.dirname(FRAME), '-o',
                    'det_weights={}'.format(weights), 'det_backend=onnx', '--output_dir', str(tmp_path), check=False)
    assert proc.returncode == 1
    assert ("config.det_backend: expected one of 'auto', 'onnxruntime', 'inference', 'tensorrt', 'dygraph'"
            in proc.stdout)


def test_the_light_detector_config_exports_and_tracks_through_the_runner(tmp_path):
    """PP-PicoDet S 320 (the live-input config's detector, ppdet's own components; random weights): exported,
    run by the exported-model runner with OSNet every 2nd frame (--skip_frame_num), and tracked by
    tools/infer_mot.py as the runner does."""
    config = os.path.join(REPO, 'configs', 'mot', 'deepsort', 'picodet_s_320_lcnet_pedestrian.yml')
    weights = random_weights(tmp_path, pathlib.Path(config), calibrate=True, arch='PicoDet')
    settings = ['det_score_threshold=0.3']
    frames = exported_with_osnet(tmp_path, config, weights, settings)
    deploy = run_tool('deploy/python/mot_sde_infer.py', '--model_dir',
                      str(tmp_path / 'inference' / 'picodet_s_320_lcnet_pedestrian'), '--reid_model_dir',
                      str(tmp_path / 'inference' / 'deepsort_osnet_x0_25'), '--image_dir', str(frames),
                      '--output_dir', str(tmp_path / 'deploy'), '--skip_frame_num', '2', '--backend', 'onnxruntime')
    assert 'picodet_s_320_lcnet_pedestrian: ONNX Runtime fp32 agrees with paddle fp32' in deploy.stdout
    tools = run_tool('tools/infer_mot.py', '-c', 'configs/mot/deepsort/deepsort_picodet_osnet_x0_25.yml',
                     '--image_dir', str(frames), '--output_dir', str(tmp_path / 'tools'), '-o',
                     'det_weights={}'.format(weights), 'det_interval=2', 'det_backend=onnxruntime',
                     'reid_backend=onnxruntime', *settings, *LENIENT)  # the runner's runtime: the same boxes
    assert 'Detector PicoDet (rescaled boxes)' in tools.stdout
    _, tooled = deployed_and_tooled(tmp_path)
    # tracks confirmed at their second match, frame 3 (frame 2 has no detection); frames 4 and 6 predicted
    assert set(tooled[:, 0].astype(int)) == {3, 4, 5, 6}
