"""PCB Pyramid: weight compatibility with ppdet's PCBPyramid on real crops, strict checkpoint loading, export
on paddle 3 and the exported-model runner giving the same tracks as the tools."""

import os

import cv2
import numpy as np
import paddle
import pytest
import yaml
from conftest import PETS_SEQ, pets_clip, run_tool
from ppdet.modeling.reid.pyramidal_embedding import PCBPyramid

from ppdet_deepsort.reid.crops import crop_batch
from ppdet_deepsort.inference import RuntimeOptions
from ppdet_deepsort.inference.embedder import reid_model
from ppdet_deepsort.adapter.pcb_pyramid import PCBPyramidEmbedding
from ppdet_deepsort.errors import WeightsError
from ppdet_deepsort.reid.weights import load_state_dict

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

PCB = 'configs/mot/deepsort/deepsort_pcb_pyramid_r101.yml'


@pytest.fixture(scope='module')
def crops():
    """Real person crops, 192x64: ground-truth boxes of PETS09-S2L1 frames 1 and 40."""
    gt = np.loadtxt(os.path.join(PETS_SEQ, 'gt', 'gt.txt'), delimiter=',')
    capture = cv2.VideoCapture(os.path.join(PETS_SEQ, 'PETS09-S2L1.avi'))
    out = []
    for frame_id in range(1, 41):
        ok, image = capture.read()
        if frame_id in (1, 40):
            out.append(crop_batch(image, gt[gt[:, 0] == frame_id][:, 2:6], (64, 192)))
    return np.concatenate(out)


def ppdet_weights(path, model_name, seed=0):
    """Save the weights of ppdet's own PCBPyramid, with non-trivial batch-norm statistics."""
    paddle.seed(seed)
    model = PCBPyramid(model_name=model_name)
    rng = np.random.RandomState(seed)
    state = model.state_dict()
    for key, value in state.items():
        if key.endswith('_variance'):
            state[key] = paddle.to_tensor(rng.uniform(0.5, 2, value.shape).astype('float32'))
        elif key.endswith('_mean'):
            state[key] = paddle.to_tensor(rng.normal(0, 0.1, value.shape).astype('float32'))
    model.set_state_dict(state)
    paddle.save(model.state_dict(), path)
    return model


@pytest.mark.parametrize('model_name', ['ResNet101', 'ResNet50'])
def test_loads_ppdet_weights_and_gives_the_same_embeddings(tmp_path, crops, model_name):
    path = str(tmp_path / 'pcb.pdparams')
    builtin = ppdet_weights(path, model_name)
    plugin = PCBPyramidEmbedding(model_name)
    load_state_dict(plugin, path)  # strict: every name and shape must match
    dygraph = RuntimeOptions(reid_backend='dygraph')
    ours, theirs = reid_model(plugin, [64, 192], dygraph)(crops), reid_model(builtin, [64, 192], dygraph)(crops)
    assert ours.shape == (len(crops), 2688) and len(crops) >= 8
    assert np.abs(ours - theirs).max() <= 1e-4 * np.abs(theirs).max()


def test_mismatched_checkpoints_are_refused_with_the_keys(tmp_path):
    model = PCBPyramidEmbedding('ResNet50')
    state = {k: v for k, v in model.state_dict().items()}
    del state['pyramid_conv_list0.3.1._mean']
    state['head.extra.weight'] = paddle.zeros([3])
    state['pyramid_conv_list0.0.0.bias'] = paddle.zeros([64])
    path = str(tmp_path / 'bad.pdparams')
    paddle.save(state, path)
    with pytest.raises(WeightsError) as error:
        load_state_dict(PCBPyramidEmbedding('ResNet50'), path)
    message = str(error.value)
    assert 'missing keys (1): pyramid_conv_list0.3.1._mean' in message
    assert 'unexpected keys (1): head.extra.weight' in message
    assert 'wrong shape keys (1): pyramid_conv_list0.0.0.bias (checkpoint [64], model [128])' in message
    # the training-only classifier heads, sized by a fine-tuning set's identities, are the one exception
    tuned = {k: v for k, v in model.state_dict().items()}
    tuned.update({'pyramid_fc_list0.{}.{}'.format(i, k): paddle.zeros(shape) for i in range(21)
                  for k, shape in (('weight', [128, 10]), ('bias', [10]))})
    paddle.save(tuned, str(tmp_path / 'tuned.pdparams'))
    fresh = PCBPyramidEmbedding('ResNet50')
    load_state_dict(fresh, str(tmp_path / 'tuned.pdparams'))
    np.testing.assert_array_equal(fresh.state_dict()['pyramid_conv_list0.3.1._mean'].numpy(),
                                  model.state_dict()['pyramid_conv_list0.3.1._mean'].numpy())
    assert fresh.pyramid_fc_list0[0].weight.shape == [128, 751]
    resnet101 = str(tmp_path / 'r101.pdparams')
    paddle.save(PCBPyramidEmbedding('ResNet101').state_dict(), resnet101)
    with pytest.raises(WeightsError, match='unexpected keys'):
        load_state_dict(PCBPyramidEmbedding('ResNet50'), resnet101)


def test_weights_location_errors(tmp_path):
    from ppdet_deepsort.adapter.builders import resolve_weights
    with pytest.raises(WeightsError, match='reid_weights file not found: /nowhere/pcb.pdparams'):
        resolve_weights('/nowhere/pcb')
    with pytest.raises(WeightsError, match='reid_weights file not found: /nowhere/pcb.pdparams'):
        load_state_dict(PCBPyramidEmbedding('ResNet50'), '/nowhere/pcb.pdparams')
    with pytest.raises(WeightsError, match='cannot download reid_weights http://127.0.0.1:9/pcb.pdparams .*local'):
        resolve_weights('http://127.0.0.1:9/pcb.pdparams')
    proc = run_tool('tools/eval_mot.py', '-c', PCB, '--det_results_dir', str(tmp_path), check=False)
    assert proc.returncode == 1 and 'reid_weights is not set: give -o reid_weights=' in proc.stdout


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    """The first 30 frames of PETS09-S2L1 as a video of its own, its detections, and PCB weights."""
    folder = pets_clip(tmp_path_factory.mktemp('pcb_clip'), 30)
    ppdet_weights(str(folder / 'pcb.pdparams'), 'ResNet101')
    return folder


def test_export_and_exported_runner_match_the_tools(tmp_path, clip):
    weights = 'reid_weights={}'.format(clip / 'pcb.pdparams')
    run_tool('tools/export_model.py', '-c', PCB, '-o', weights, 'FastDeepSORTTracker.max_age=20',
             '--output_dir', str(tmp_path / 'inference'))
    model_dir = tmp_path / 'inference' / 'deepsort_pcb_pyramid_r101'
    assert (model_dir / 'model.pdiparams').exists()
    assert (model_dir / 'model.json').exists() or (model_dir / 'model.pdmodel').exists()
    infer_cfg = yaml.safe_load((model_dir / 'infer_cfg.yml').read_text())
    assert infer_cfg['ReID']['input_name'] == 'crops' and infer_cfg['ReID']['input_size'] == [64, 192]
    assert infer_cfg['tracker'] == {'type': 'FastDeepSORTTracker', 'input_size': [64, 192], 'min_box_area': 0,
                                    'vertical_ratio': -1, 'budget': 100, 'max_age': 20, 'n_init': 3,
                                    'metric_type': 'cosine', 'matching_threshold': 0.2, 'max_iou_distance': 0.9,
                                    'motion': 'KalmanFilter', 'ppdet_compat': False, 'max_time_since_update': 1,
                                    'motion_matching_threshold': 1.0, 'high_score_threshold': 0.0,
                                    'low_score_threshold': 0.0, 'new_track_threshold': 0.0,
                                    'observation_centric': False, 'appearance': 'gallery', 'ema_alpha': 0.9,
                                    'motion_weight': 0.0, 'nsa': False, 'kalman_state': 'xyah',
                                    'camera_motion': 'none', 'motion_gate': True, 'velocity_noise': 0.00625,
                                    'momentum_weight': 0.0, 'matching_cascade': True, 'reid_policy': 'always',
                                    'reid_min_iou': 0.7, 'reid_refresh': 2, 'reference_fps': 0,
                                    'new_track_quantile': 0.0, 'score_boost': False, 'per_class': True,
                                    'reid_classes': []}
    program = [f for f in os.listdir(model_dir) if f.startswith('model.') and not f.endswith('.pdiparams')][0]
    loaded = paddle.jit.load(str(model_dir / 'model')) if program.endswith('.json') else None
    if loaded is not None:
        loaded.eval()
        assert loaded(paddle.zeros([2, 3, 192, 64])).shape == [2, 2688]

    run_tool('deploy/python/mot_sde_infer.py', '--reid_model_dir', str(model_dir), '--det_results_dir',
             str(clip / 'dets'), '--video_file', str(clip / 'walk.avi'), '--output_dir', str(tmp_path / 'deploy'),
             '--save_mot_txts')
    run_tool('tools/infer_mot.py', '-c', PCB, '-o', weights, 'FastDeepSORTTracker.max_age=20', 'reid_precision=fp32',
             '--video_file', str(clip / 'walk.avi'), '--det_results_dir', str(clip / 'dets'), '--output_dir',
             str(tmp_path / 'tools'))
    deployed = (tmp_path / 'deploy' / 'mot_results' / 'walk.txt').read_text()
    assert deployed == (tmp_path / 'tools' / 'mot_results' / 'walk.txt').read_text()
    assert deployed.count('\n') > 50
    assert (tmp_path / 'deploy' / 'mot_outputs' / 'walk_vis.mp4').exists()

    proc = run_tool('deploy/python/mot_sde_infer.py', '--reid_model_dir', str(model_dir), '--det_results_dir',
                    str(clip / 'dets'), '--video_file', str(clip / 'walk.avi'), '--device=GPU',
                    '--output_dir', str(tmp_path / 'gpu'))
    assert 'no CUDA support' in proc.stdout and 'running on CPU' in proc.stdout
    proc = run_tool('deploy/python/mot_sde_infer.py', '--reid_model_dir', str(tmp_path), '--det_results_dir',
                    str(clip / 'dets'), '--video_file', str(clip / 'walk.avi'), check=False)
    assert proc.returncode == 1 and 'no infer_cfg.yml' in proc.stdout
