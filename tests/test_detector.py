"""Detector + ReID + tracker in one config (the seed's second method), without pretrained detector weights:
random weights, reduced input size, real frames. Box mapping from the letterboxed input, export of the
detector on paddle 3, and the exported runner against the dygraph path."""

import os
import shutil
import textwrap

import numpy as np
import pytest
from conftest import MOT17, REPO, pets_clip, run_tool
from ppdet.data.transform import LetterBoxResize

from ppdet_deepsort.engine.detector import letterbox_to_image

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
import numpy as np, paddle, ppdet_deepsort
from ppdet.core.workspace import load_config, create
load_config({config!r})
paddle.seed(0)
model = create({arch!r})
rng = np.random.RandomState(0)
state = model.state_dict()
for key, value in state.items():  # He-scaled random convolutions keep 53 layers of activations finite
    if key.endswith('weight') and len(value.shape) == 4:
        fan_in = int(np.prod(value.shape[1:]))
        state[key] = paddle.to_tensor((rng.normal(0, 1, value.shape) / np.sqrt(fan_in)).astype('float32'))
model.set_state_dict(state)
paddle.save(model.state_dict(), {out!r})
"""


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
    weights = folder / 'jde_random.pdparams'
    script = folder / 'weights.py'
    script.write_text(RANDOM_WEIGHTS.format(repo=REPO, config=str(detector), arch='YOLOv3', out=str(weights)))
    run_tool(str(script))
    return detector, tracking, weights


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


def test_exported_detector_runner_matches_the_dygraph_path(tmp_path, jde):
    detector, tracking, weights = jde
    run_tool('tools/export_model.py', '-c', str(detector), '-o', 'weights={}'.format(weights),
             '--output_dir', str(tmp_path / 'inference'))
    run_tool('tools/export_model.py', '-c', 'configs/mot/deepsort/deepsort_osnet_x0_25.yml', '-o',
             'FastDeepSORTTracker.n_init=1', '--output_dir', str(tmp_path / 'inference'))
    det_dir = tmp_path / 'inference' / detector.stem
    assert 'scaled: false' in (det_dir / 'infer_cfg.yml').read_text()

    clip = pets_clip(tmp_path, 8) / 'walk.avi'
    run_tool('deploy/python/mot_sde_infer.py', '--model_dir', str(det_dir), '--reid_model_dir',
             str(tmp_path / 'inference' / 'deepsort_osnet_x0_25'), '--video_file', str(clip), '--threshold', '0',
             '--output_dir', str(tmp_path / 'deploy'))
    run_tool('tools/infer_mot.py', '-c', str(tracking), '--video_file', str(clip), '--output_dir',
             str(tmp_path / 'tools'), '-o', 'det_weights={}'.format(weights), 'reid_precision=fp32',
             'FastDeepSORTTracker.max_age=30', 'FastDeepSORTTracker.matching_threshold=0.4')
    deployed = np.loadtxt(tmp_path / 'deploy' / 'mot_results' / 'walk.txt', delimiter=',', ndmin=2)
    dygraph = np.loadtxt(tmp_path / 'tools' / 'mot_results' / 'walk.txt', delimiter=',', ndmin=2)
    assert len(deployed) >= 5 and deployed.shape == dygraph.shape
    np.testing.assert_array_equal(deployed[:, :2], dygraph[:, :2])  # same ids in the same frames
    # exported kernels round differently from dygraph ones: boxes agree to a tenth of a pixel
    np.testing.assert_allclose(deployed[:, 2:6], dygraph[:, 2:6], atol=0.1)


def test_a_general_detector_config(tmp_path):
    """PP-YOLOE+ s, a light general detector ppdet registers, also drives the pipeline (boxes rescaled)."""
    config = tmp_path / 'ppyoloe.yml'
    config.write_text("_BASE_: ['{}']\narchitecture: YOLOv3\n".format(
        os.path.join(REPO, 'configs/mot/deepsort/deepsort_ppyoloe_osnet_x0_25.yml')))
    weights = tmp_path / 'ppyoloe_random.pdparams'
    script = tmp_path / 'weights.py'
    script.write_text(RANDOM_WEIGHTS.format(repo=REPO, config=str(config), arch='YOLOv3', out=str(weights)))
    run_tool(str(script))
    frames = tmp_path / 'frames'
    shutil.copytree(os.path.join(MOT17, 'MOT17-05-FRCNN', 'img1'), frames)
    out = tmp_path / 'out'
    proc = run_tool('tools/infer_mot.py', '-c', 'configs/mot/deepsort/deepsort_ppyoloe_osnet_x0_25.yml',
                    '--image_dir', str(frames), '--output_dir', str(out), '-o', 'det_weights={}'.format(weights),
                    'det_score_threshold=0.0', 'det_class_ids=[]')
    assert 'Detector YOLOv3 (rescaled boxes)' in proc.stdout
    assert (out / 'mot_results' / 'frames.txt').exists()
