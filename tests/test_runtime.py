"""The runtime layer (ppdet_deepsort.inference): ONNX Runtime against paddle on real crops, the conversion cache,
the fall-backs, int8 agreement and refusal, and the runtime keys."""

import dataclasses
import json
import logging
import os

import numpy as np
import paddle
import paddle.nn as nn
import pytest
from conftest import REPO

from ppdet_deepsort.export.tracing import export_reid
from ppdet_deepsort.inference import RuntimeOptions
from ppdet_deepsort.inference.backends import OnnxRuntimeBackend
from ppdet_deepsort.inference.choice import Race
from ppdet_deepsort.inference.first_call import cpu_name
from ppdet_deepsort.inference import embedder as embedder_module
from ppdet_deepsort.inference.embedder import calibration_crops, reid_model
from ppdet_deepsort.errors import ConfigError, ConversionError
from ppdet_deepsort.inference.onnx_models import onnx_model
from ppdet_deepsort.reid.osnet import OSNetEmbedding
from ppdet_deepsort.reid.weights import load_state_dict
from ppdet_deepsort.adapter.cli import load_cfg

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

SAMPLE = os.path.join(REPO, 'dataset', 'mot', 'PETS09', 'images', 'train', 'PETS09-S2L1')
SIZE = (128, 256)


@pytest.fixture(scope='module')
def osnet():
    model = OSNetEmbedding()
    load_state_dict(model, os.path.join(REPO, 'weights', 'osnet_x0_25_msmt17.pdparams'))
    model.eval()
    return model


@pytest.fixture(scope='module')
def crops():
    """Real person crops of the sample, from frames the int8 calibration does not use (every 4th frame)."""
    return calibration_crops(SAMPLE, SIZE, count=400)[1::4][:40]


class _Unconvertible(nn.Layer):
    """lgamma has no ONNX conversion in paddle2onnx 2.1: it aborts its process on it."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2D(3, 4, 3)

    def forward(self, x):
        return paddle.lgamma(paddle.tanh(self.conv(x)) + 2.).flatten(1)


def test_the_tools_know_the_top_level_keys_of_the_run_spec():
    """Each top-level key the run spec reads may be overridden with -o; a misspelt one is refused by its nearest."""
    from ppdet_deepsort.engine.spec import TOP_LEVEL_KEYS
    config = os.path.join(REPO, 'configs', 'mot', 'deepsort', 'deepsort_motion_only.yml')
    assert {f.name for f in dataclasses.fields(RuntimeOptions)} < set(TOP_LEVEL_KEYS)
    assert {'interpolate_max_gap', 'smooth_sigma', 'flush_interval', 'det_score_threshold', 'reid_weights'} < set(
        TOP_LEVEL_KEYS)
    assert load_cfg(config, {'smooth_sigma': 2.0})['smooth_sigma'] == 2.0
    with pytest.raises(ConfigError, match='no key smooth_sigm in this config; did you mean smooth_sigma'):
        load_cfg(config, {'smooth_sigm': 2.0})


def test_bad_runtime_keys_are_named():
    with pytest.raises(ConfigError, match="config.reid_backend: expected one of 'auto', 'onnxruntime'"):
        RuntimeOptions.from_config({'reid_backend': 'onnx'})
    with pytest.raises(ConfigError, match='config.cpu_threads'):
        RuntimeOptions(cpu_threads=-1)
    with pytest.raises(ConfigError, match='int8 runs on ONNX Runtime'):
        RuntimeOptions(reid_backend='inference', reid_precision='int8')
    with pytest.raises(ConfigError, match='config.read_ahead: expected int'):
        RuntimeOptions.from_config({'read_ahead': 'yes'})
    with pytest.raises(ConfigError, match="config.reid_precision: expected one of 'fp32', 'bf16', 'int8'"):
        RuntimeOptions.from_config({'reid_precision': 'auto'})  # faster precisions cost identities: asked for only


def test_onnxruntime_gives_paddles_embeddings_and_converts_once(osnet, crops, tmp_path, caplog):
    options = RuntimeOptions(reid_backend='onnxruntime', reid_precision='fp32', model_cache_dir=str(tmp_path))
    paddle_fp32 = reid_model(osnet, SIZE, RuntimeOptions(reid_backend='inference', reid_precision='fp32'))(crops)
    with caplog.at_level(logging.INFO):
        first = reid_model(osnet, SIZE, options)
        assert 'converted with paddle2onnx' in caplog.text
        ours = first(crops)
    assert first.runtime.kept == 'ONNX Runtime fp32'
    cosine = (ours * paddle_fp32).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(paddle_fp32, axis=1)
    assert cosine.min() > 0.9999 and np.abs(ours - paddle_fp32).max() < 1e-3
    caplog.clear()
    with caplog.at_level(logging.INFO):
        second = reid_model(osnet, SIZE, options)
    assert 'converted with paddle2onnx' not in caplog.text and 'cached' in caplog.text
    np.testing.assert_array_equal(second(crops), ours)


def test_a_broken_cache_file_is_converted_again(osnet, tmp_path):
    folder = tmp_path / 'export'
    export_reid(osnet, SIZE, str(folder))
    _, path, converted = onnx_model(str(folder), str(tmp_path / 'cache'), OnnxRuntimeBackend)
    assert converted
    with open(path, 'r+b') as f:
        f.truncate(1000)  # a conversion cut short (killed, disk full)
    _, again, converted = onnx_model(str(folder), str(tmp_path / 'cache'), OnnxRuntimeBackend)
    assert again == path and converted and os.path.getsize(path) > 100000


def test_a_model_paddle2onnx_cannot_convert_falls_back_to_paddle(tmp_path, caplog):
    folder = tmp_path / 'export'
    layer = _Unconvertible()
    layer.eval()
    export_reid(layer, (8, 8), str(folder))
    with pytest.raises(ConversionError):
        onnx_model(str(folder), str(tmp_path / 'cache'), OnnxRuntimeBackend)
    options = RuntimeOptions(reid_backend='onnxruntime', reid_precision='fp32', model_cache_dir=str(tmp_path))
    with caplog.at_level(logging.INFO):
        model = reid_model(layer, (8, 8), options)
    assert 'paddle2onnx could not convert it' in caplog.text and 'runs with paddle.inference' in caplog.text
    x = np.random.RandomState(0).rand(3, 3, 8, 8).astype(np.float32)
    with paddle.no_grad():
        np.testing.assert_allclose(model(x), layer(paddle.to_tensor(x)).numpy(), rtol=1e-4, atol=1e-5)


def test_int8_is_kept_only_where_it_agrees_with_fp32(osnet, crops, tmp_path, monkeypatch, caplog):
    options = RuntimeOptions(reid_backend='onnxruntime', reid_precision='int8', model_cache_dir=str(tmp_path),
                             reid_calibration=SAMPLE)
    fp32 = reid_model(osnet, SIZE, RuntimeOptions(reid_backend='onnxruntime', reid_precision='fp32',
                                                  model_cache_dir=str(tmp_path)))(crops)
    int8 = reid_model(osnet, SIZE, options)
    ours = int8(crops)
    assert int8.runtime.kept == 'int8'
    cosine = (ours * fp32).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(fp32, axis=1)
    assert embedder_module.INT8_MIN_COSINE <= cosine.min() < 0.9999  # quantized, and close
    monkeypatch.setattr(embedder_module, 'INT8_MIN_COSINE', 0.99999)  # a floor int8 cannot meet
    refused = reid_model(osnet, SIZE, options)
    with caplog.at_level(logging.INFO):
        np.testing.assert_allclose(refused(crops), fp32, atol=1e-5)
    assert refused.runtime.kept == 'fp32' and 'int8 differs from fp32' in caplog.text


def test_int8_without_calibration_crops_runs_fp32(osnet, tmp_path, caplog):
    options = RuntimeOptions(reid_backend='onnxruntime', reid_precision='int8', model_cache_dir=str(tmp_path),
                             reid_calibration=str(tmp_path / 'nowhere'))
    with caplog.at_level(logging.INFO):
        model = reid_model(osnet, SIZE, options)
    assert 'int8 needs calibration crops' in caplog.text and 'has no gt/gt.txt' in caplog.text
    assert model.runtime.kept is None and model(np.zeros((1, 3, 256, 128), np.float32)).shape == (1, 512)


def test_int8_runs_fp32_when_onnxruntime_cannot_quantize(osnet, tmp_path, monkeypatch, caplog):
    """onnxruntime.quantization imports packages onnxruntime does not declare (ml_dtypes since 1.32): one missing
    refuses int8 with a warning; it does not stop the run."""
    import sys
    for name in [m for m in sys.modules if m.startswith('onnxruntime.quantization')]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, 'ml_dtypes', None)  # what an absent package imports as
    options = RuntimeOptions(reid_backend='onnxruntime', reid_precision='int8', model_cache_dir=str(tmp_path),
                             reid_calibration=SAMPLE)
    with caplog.at_level(logging.INFO):
        model = reid_model(osnet, SIZE, options)
    assert 'int8 quantization failed' in caplog.text and 'ml_dtypes' in caplog.text
    assert model(np.zeros((2, 3, 256, 128), np.float32)).shape == (2, 512) and model.runtime.kept == 'ONNX Runtime fp32'


def test_auto_is_measured_on_the_cpu_where_both_runtimes_run_the_precision():
    """CPU flags do not say which runtime is faster (paddle.inference ran OSNet 1.7x faster than ONNX Runtime on
    an AVX512-BF16 Xeon, 2x slower on an AVX512-BF16 EPYC): 'auto' stays 'auto' until measured, but for the
    precisions only one runtime has, and on the GPU."""
    for key in ('reid_backend', 'det_backend'):
        assert RuntimeOptions().backend(key) == 'auto'
    assert RuntimeOptions(reid_precision='int8').backend('reid_backend') == 'onnxruntime'
    assert RuntimeOptions(reid_precision='bf16').backend('reid_backend') == 'inference'
    assert RuntimeOptions(det_precision='bf16').backend('det_backend') == 'inference'
    assert RuntimeOptions(reid_backend='onnxruntime').backend('reid_backend') == 'onnxruntime'
    assert RuntimeOptions(use_gpu=True).backend('reid_backend') == 'inference'


def test_auto_races_the_runtimes_once_and_remembers_the_winner(osnet, crops, tmp_path, caplog):
    options = RuntimeOptions(model_cache_dir=str(tmp_path))
    with caplog.at_level(logging.INFO):
        raced = reid_model(osnet, SIZE, options)
        first = raced(crops[:6])
    assert isinstance(raced.runtime, Race) and 'median of 5' in caplog.text
    (key, entry), = json.load(open(tmp_path / 'runtime_choices.json')).items()
    assert entry['runtime'] == raced.runtime.kept and set(entry['ms']) == {'paddle.inference', 'ONNX Runtime'}
    assert cpu_name() in key and 'fp32' in key
    np.testing.assert_array_equal(raced(crops[:6]), first)  # the winner runs alone from then on

    caplog.clear()
    with caplog.at_level(logging.INFO):
        remembered = reid_model(osnet, SIZE, options)
    assert not isinstance(remembered.runtime, Race)
    assert 'OSNetEmbedding runs on the runtime measured fastest here: {} (remembered in'.format(entry['runtime']) in \
        caplog.text
    # the first call of a raced run returns the winner's own outputs: raced or remembered, the same embeddings
    np.testing.assert_array_equal(remembered(crops[:6]), first)

    caplog.clear()
    with caplog.at_level(logging.INFO):
        reid_model(osnet, SIZE, dataclasses.replace(options, cpu_threads=1))(crops[:6])
    assert 'median of 5' in caplog.text  # another thread count is another race
    assert len(json.load(open(tmp_path / 'runtime_choices.json'))) == 2
