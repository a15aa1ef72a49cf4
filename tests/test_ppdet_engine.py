"""FastDeepSORTTracker inside ppdet's own engine (ppdet.engine.Tracker), which dispatches on
isinstance(tracker, DeepSORTTracker): same results file as ppdet's built-in tracker gives there."""

import os
import shutil
import textwrap

import numpy as np
import pytest
from conftest import MOT17, REPO, run_tool

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

CONFIG = """
architecture: DeepSORT
metric: MOT
num_classes: 1
use_gpu: false
DeepSORT:
  detector: None
  reid: PPLCNetEmbedding
  tracker: {tracker}
{tracker}:
  ppdet_compat: {compat}
EvalMOTDataset:
  !MOTImageFolder
    dataset_dir: {root}
    data_root: train
    keep_ori_im: True
EvalMOTReader:
  sample_transforms:
    - Decode: {{}}
    - LetterBoxResize: {{target_size: [320, 576]}}
    - NormalizeImage: {{mean: [0, 0, 0], std: [1, 1, 1], is_scale: True}}
    - Permute: {{}}
  batch_size: 1
"""

SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
import paddle
import ppdet_deepsort
from ppdet.core.workspace import load_config
from ppdet.engine import Tracker
cfg = load_config({config!r})
paddle.seed(0)  # the same random ReID weights in both runs
engine = Tracker(cfg, mode='eval')
engine.mot_evaluate(data_root={data_root!r}, seqs=['MOT17-05-FRCNN'], output_dir={out!r}, data_type='mot',
                    model_type='DeepSORT', det_results_dir={dets!r})
"""


def test_plugin_tracker_in_ppdet_engine_matches_builtin(tmp_path):
    seq = 'MOT17-05-FRCNN'
    shutil.copytree(os.path.join(MOT17, seq), tmp_path / 'train' / seq, ignore=shutil.ignore_patterns('det'))
    dets = tmp_path / 'dets'
    dets.mkdir()
    rows = np.loadtxt(os.path.join(MOT17, seq, 'det', 'det.txt'), delimiter=',')
    # ppdet's loader reads only its own 7 columns: frame,x,y,w,h,score,class_id
    np.savetxt(dets / (seq + '.txt'), np.c_[rows[:, [0, 2, 3, 4, 5, 6]], np.zeros(len(rows))], delimiter=',',
               fmt='%g')
    outputs = {}
    for tracker, compat in (('DeepSORTTracker', None), ('FastDeepSORTTracker', 'true')):
        config = tmp_path / (tracker + '.yml')
        text = CONFIG.format(tracker=tracker, compat=compat, root=str(tmp_path))
        if compat is None:
            text = text.replace('{}:\n  ppdet_compat: None\n'.format(tracker), '')
        config.write_text(text)
        out = tmp_path / ('out_' + tracker)
        script = tmp_path / 'run.py'
        script.write_text(textwrap.dedent(SCRIPT.format(repo=REPO, config=str(config),
                                                        data_root=str(tmp_path / 'train'), out=str(out),
                                                        dets=str(dets))))
        proc = run_tool(str(script))
        assert 'MOTA' in proc.stdout  # ppdet's own metrics table
        outputs[tracker] = (out / 'mot_results' / (seq + '.txt')).read_text()
    assert outputs['DeepSORTTracker'].count('\n') > 10
    assert outputs['FastDeepSORTTracker'] == outputs['DeepSORTTracker']


def test_ppdet_engine_refuses_a_tracker_that_needs_the_frames():
    """ppdet's engine calls the tracker's predict() without the frame, so camera_motion cannot work there: it says
    so by name before tracking anything, instead of failing on the first frame."""
    from types import SimpleNamespace

    from ppdet.engine import Tracker

    from ppdet_deepsort.errors import ConfigError
    from ppdet_deepsort.tracker import FastDeepSORTTracker
    engine = SimpleNamespace(model=SimpleNamespace(tracker=FastDeepSORTTracker(camera_motion=True), reid=None),
                             dataset=None, cfg={})
    with pytest.raises(ConfigError, match='FastDeepSORTTracker.camera_motion: ppdet.s engine does not give'):
        Tracker._eval_seq_sde(engine, dataloader=None)
