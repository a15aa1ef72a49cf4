"""OSNet x0.25 in paddle: checkpoint conversion without PyTorch, agreement with onnxruntime on real person
crops, the shipped weights, and the fast inference path."""

import hashlib
import os

import cv2
import numpy as np
import paddle
import pytest
from conftest import DATA, PETS_SEQ, REPO, run_tool

from ppdet_deepsort.errors import ConversionError
from ppdet_deepsort.reid.convert import convert_onnx, read_torch_state_dict
from ppdet_deepsort.reid.crops import crop_batch
from ppdet_deepsort.inference import RuntimeOptions
from ppdet_deepsort.inference.embedder import reid_model
from ppdet_deepsort.reid.osnet import OSNetEmbedding

ONNX = os.path.join(DATA, 'reid', 'osnet_x0_25_msmt17.onnx')
PTH = os.path.join(DATA, 'reid', 'osnet_x0_25_market1501.pth')
SHIPPED = os.path.join(REPO, 'weights', 'osnet_x0_25_msmt17.pdparams')
# sha256 over (name, raw bytes) of every tensor, sorted by name, as torch.load(PTH) returns them
# (computed with PyTorch 2.13 once; the reader under test must reproduce it without PyTorch)
PTH_DIGEST = 'e9bf413a6045f326bd8368b68f1f1bd41b8d9d0e97285ab09ca4d6bdec4efbb6'


@pytest.fixture(scope='module')
def person_crops():
    """Real person crops: the ground-truth boxes of PETS09-S2L1 every 5th frame of 1-69, with their ids."""
    gt = np.loadtxt(os.path.join(PETS_SEQ, 'gt', 'gt.txt'), delimiter=',')
    capture = cv2.VideoCapture(os.path.join(PETS_SEQ, 'PETS09-S2L1.avi'))
    crops, ids = [], []
    for frame_id in range(1, 70):
        ok, image = capture.read()
        assert ok
        if frame_id % 5 == 0:
            rows = gt[gt[:, 0] == frame_id]
            crops.append(crop_batch(image, rows[:, 2:6], (128, 256)))
            ids += rows[:, 1].astype(int).tolist()
    return np.concatenate(crops), np.array(ids)


def model_with(state):
    model = OSNetEmbedding()
    model.set_state_dict({k: paddle.to_tensor(v) for k, v in state.items()})
    model.eval()
    return model


def embed(model, crops):
    return reid_model(model, [128, 256], RuntimeOptions(reid_backend='dygraph'))(crops)


def identity_auc(embeddings, ids):
    """Probability that a same-person pair is more similar than a different-person pair."""
    e = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    sim = e @ e.T
    iu = np.triu_indices(len(ids), 1)
    same = (ids[:, None] == ids[None, :])[iu]
    pos, neg = sim[iu][same], sim[iu][~same]
    return (pos[:, None] > neg[None, :]).mean()


def test_torch_checkpoint_read_without_torch():
    state = read_torch_state_dict(PTH)
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(state[key]).tobytes())
    assert len(state) == 567
    assert digest.hexdigest() == PTH_DIGEST


def test_onnx_conversion_matches_onnxruntime_on_real_crops(person_crops):
    import onnxruntime
    crops, _ = person_crops
    assert len(crops) > 50
    session = onnxruntime.InferenceSession(ONNX, providers=['CPUExecutionProvider'])
    reference = np.concatenate([session.run(None, {'images': crop[None]})[0] for crop in crops])
    ours = embed(model_with(convert_onnx(ONNX, OSNetEmbedding())), crops)
    assert ours.shape == (len(crops), 512)
    assert np.abs(ours - reference).max() < 1e-4
    assert np.abs(reference).max() > 1  # not trivially small outputs


def test_shipped_weights_are_the_converted_onnx():
    converted = convert_onnx(ONNX, OSNetEmbedding())
    shipped = paddle.load(SHIPPED)
    assert set(shipped) == set(converted)
    for key, value in converted.items():
        np.testing.assert_array_equal(shipped[key].numpy(), value)


def test_converted_weights_tell_people_apart(person_crops):
    crops, ids = person_crops
    shipped = OSNetEmbedding()
    shipped.set_state_dict(paddle.load(SHIPPED))
    assert identity_auc(embed(shipped, crops), ids) > 0.9
    from ppdet_deepsort.reid.convert import convert_torch_state_dict
    market = model_with(convert_torch_state_dict(read_torch_state_dict(PTH), OSNetEmbedding()))
    assert identity_auc(embed(market, crops), ids) > 0.8
    random = OSNetEmbedding()
    random.eval()
    assert identity_auc(embed(random, crops), ids) < 0.8  # the check means something


@pytest.mark.parametrize('backend', ['inference', 'onnxruntime'])
def test_fast_paths_agree_with_dygraph(person_crops, backend, tmp_path):
    crops, _ = person_crops
    model = OSNetEmbedding()
    model.set_state_dict(paddle.load(SHIPPED))
    reference = embed(model, crops)
    fast = reid_model(model, [128, 256], RuntimeOptions(reid_backend=backend, reid_precision='fp32',
                                                       model_cache_dir=str(tmp_path)))
    ours = np.concatenate([fast(crops[i:i + 7]) for i in range(0, len(crops), 7)])  # varying batch sizes
    cos = (ours * reference).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(reference, axis=1)
    assert cos.min() > 0.9999
    if backend == 'onnxruntime':
        assert fast.runtime.kept == 'ONNX Runtime fp32'  # it passed the first-call check against paddle


def test_conversion_refuses_what_does_not_fit(tmp_path):
    with pytest.raises(ConversionError, match='convolution 0 has shape \\[16, 3, 7, 7\\], the model.s conv1.conv'):
        convert_onnx(ONNX, OSNetEmbedding('osnet_x0_5'))
    broken = tmp_path / 'broken.pth'
    broken.write_bytes(open(PTH, 'rb').read()[:100000])
    with pytest.raises(ConversionError, match='not a readable PyTorch checkpoint'):
        read_torch_state_dict(str(broken))
    proc = run_tool('tools/convert_reid_weights.py', '--input', PTH, '--output', str(tmp_path / 'x.pdparams'),
                    '--model_name', 'osnet_x1_0', check=False)
    assert proc.returncode == 1 and 'wrong shape' in proc.stdout


def test_convert_tool_writes_loadable_weights(tmp_path, person_crops):
    out = tmp_path / 'market.pdparams'
    run_tool('tools/convert_reid_weights.py', '--input', PTH, '--output', str(out))
    model = OSNetEmbedding()
    model.set_state_dict(paddle.load(str(out)))
    crops, ids = person_crops
    assert identity_auc(embed(model, crops), ids) > 0.8


def test_crops_are_upright_and_normalized():
    capture = cv2.VideoCapture(os.path.join(PETS_SEQ, 'PETS09-S2L1.avi'))
    ok, image = capture.read()
    box = np.array([[100., 50., 40., 100.]])
    batch = crop_batch(image, box, (40, 100))
    expected = (image[50:150, 100:140, ::-1] / 255. - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    np.testing.assert_allclose(batch[0].transpose(1, 2, 0), expected, atol=1e-5)
