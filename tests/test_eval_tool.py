"""tools/eval_mot.py as a user runs it: the bundled sample, MOT-layout folders with each det layout, frames
from a video or from nowhere, -o overrides, and failures that lose nothing."""

import json
import os
import shutil

import numpy as np
import pytest
from conftest import DATA, MOT17, PETS_DET, PETS_SEQ, default_reid_log, run_tool

from ppdet_deepsort.metrics import METRICS

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

SAMPLE = 'configs/mot/deepsort/deepsort_pets09_sample.yml'
MOTION = 'configs/mot/deepsort/deepsort_motion_only.yml'


def results(path):
    table = np.loadtxt(path, delimiter=',', ndmin=2)
    assert table.shape[1] == 10
    return table


def test_bundled_sample(tmp_path):
    out = tmp_path / 'out'
    proc = run_tool('tools/eval_mot.py', '-c', SAMPLE, '--output_dir', str(out), '--save_videos')
    table = results(out / 'mot_results' / 'PETS09-S2L1.txt')
    assert table[:, 0].min() >= 1 and table[:, 0].max() <= 795 and len(table) > 3500
    pairs = table[:, :2].astype(int)
    assert len(np.unique(pairs, axis=0)) == len(pairs)  # one box per id and frame
    metrics = json.loads((out / 'mot_metrics.json').read_text())['metrics']
    assert set(metrics) == {'PETS09-S2L1', 'OVERALL'}
    row = metrics['PETS09-S2L1']
    assert list(row) == METRICS
    assert row['GT'] == 6 and row['Frames'] == 69  # people in the annotated frames 1-69
    table = next(line for line in proc.stdout.splitlines() if line.startswith('PETS09-S2L1 '))
    assert table.split()[1:4] == ['{:.1f}%'.format(100 * row[k]) for k in ('HOTA', 'DetA', 'AssA')]
    assert 'motchallenge convention' in proc.stdout
    assert json.loads((out / 'mot_metrics.json').read_text())['convention'] == 'motchallenge'
    assert 'evaluating 69 frames' in proc.stdout and default_reid_log('OSNetEmbedding') in proc.stdout
    assert (out / 'mot_outputs' / 'PETS09-S2L1_vis.mp4').stat().st_size > 100000
    csv_lines = (out / 'mot_metrics.csv').read_text().splitlines()
    assert csv_lines[0] == ','.join(['sequence', 'convention'] + METRICS) and len(csv_lines) == 3
    assert (out / 'hota_alpha.png').read_bytes()[:4] == b'\x89PNG'


def mot_layout(tmp_path, seqs):
    """A MOT16-style dataset folder from the real MOT17 test data, with detections in det_results/."""
    root = tmp_path / 'dataset' / 'mot' / 'MOT17' / 'images' / 'train'
    dets = tmp_path / 'det_results'
    dets.mkdir(parents=True)
    for seq in seqs:
        shutil.copytree(os.path.join(MOT17, seq), root / seq, ignore=shutil.ignore_patterns('det'))
    return root, dets


def test_mot_folder_with_every_det_layout(tmp_path):
    seqs = ['MOT17-04-FRCNN', 'MOT17-05-FRCNN', 'MOT17-09-FRCNN']
    root, dets = mot_layout(tmp_path, seqs)
    for seq, fmt in zip(seqs, ('{0:.0f},-1,{1},{2},{3},{4},{5}',  # as shipped by MOT tools
                               '{0:.0f},{1},{2},{3},{4},{5}',  # the seed's 6 columns
                               '{0:.0f},{1},{2},{3},{4},{5},0')):  # ppdet 2.6's 7 columns
        rows = np.loadtxt(os.path.join(MOT17, seq, 'det', 'det.txt'), delimiter=',')[:, [0, 2, 3, 4, 5, 6]]
        (dets / (seq + '.txt')).write_text(''.join(fmt.format(*r) + '\n' for r in rows))
    out = tmp_path / 'out'
    proc = run_tool('tools/eval_mot.py', '-c', MOTION, '--det_results_dir', str(dets), '--output_dir', str(out),
                    '-o', 'EvalMOTDataset.dataset_dir={}'.format(tmp_path / 'dataset' / 'mot'),
                    'EvalMOTDataset.data_root=MOT17/images/train', 'FastDeepSORTTracker.n_init=1')
    for layout in ('frame,-1,x,y,w,h,score', 'frame,x,y,w,h,score ', 'frame,x,y,w,h,score,class_id'):
        assert 'layout ' + layout in proc.stdout
    metrics = json.loads((out / 'mot_metrics.json').read_text())['metrics']
    assert set(metrics) == set(seqs) | {'OVERALL'}
    for seq in seqs:
        frames = len(os.listdir(os.path.join(MOT17, seq, 'img1')))
        table = results(out / 'mot_results' / (seq + '.txt'))
        assert set(table[:, 0].astype(int)) <= set(range(1, frames + 1))  # only frames with pixels are tracked
        assert metrics[seq]['Rcll'] > 0.3  # n_init=1: tracks are reported from their second frame
    assert 'holds frames 1-4 only' in proc.stdout  # seqinfo.ini's seqLength is longer than img1/


def test_sequences_without_pixels_and_overrides(tmp_path):
    dets = os.path.join(DATA, 'TUD', 'det_results')
    out = tmp_path / 'out'
    run_tool('tools/eval_mot.py', '-c', MOTION, '--det_results_dir', dets, '--output_dir', str(out),
             '-o', 'EvalMOTDataset.dataset_dir={}'.format(DATA), 'EvalMOTDataset.data_root=TUD',
             'EvalMOTDataset.seqs=[TUD-Campus]', 'FastDeepSORTTracker.max_age=30')
    assert os.listdir(out / 'mot_results') == ['TUD-Campus.txt']
    assert results(out / 'mot_results' / 'TUD-Campus.txt')[:, 0].max() <= 71

    bad = run_tool('tools/eval_mot.py', '-c', MOTION, '--det_results_dir', dets, '--output_dir', str(out),
                   '-o', 'FastDeepSORTTracker.budget=many', check=False)
    assert bad.returncode == 1
    assert "FastDeepSORTTracker.budget: expected int, got 'many'" in bad.stdout
    assert 'Traceback' not in bad.stdout
    bad = run_tool('tools/eval_mot.py', '-c', MOTION, '-o', 'EvalMOTDataset.min_scor=0.5', check=False)
    assert bad.returncode == 1 and 'MOTDetResultsDataset has no such key' in bad.stdout


def test_one_bad_sequence_does_not_stop_or_corrupt_the_others(tmp_path):
    seqs = ['MOT17-05-FRCNN', 'MOT17-09-FRCNN']
    root, dets = mot_layout(tmp_path, seqs)
    shutil.copy(os.path.join(MOT17, seqs[0], 'det', 'det.txt'), dets / (seqs[0] + '.txt'))
    lines = open(os.path.join(MOT17, seqs[1], 'det', 'det.txt')).read().splitlines()
    lines[41] = lines[41].replace(',', ',,', 1)  # a malformed line
    (dets / (seqs[1] + '.txt')).write_text('\n'.join(lines) + '\n')
    out = tmp_path / 'out'
    proc = run_tool('tools/eval_mot.py', '-c', MOTION, '--det_results_dir', str(dets), '--output_dir', str(out),
                    '-o', 'EvalMOTDataset.dataset_dir={}'.format(tmp_path / 'dataset' / 'mot'),
                    'EvalMOTDataset.data_root=MOT17/images/train', check=False)
    assert proc.returncode == 1
    assert '{}:42: 8 columns where the lines above have 7'.format(dets / (seqs[1] + '.txt')) in proc.stdout
    assert '1 of 2 sequences failed' in proc.stdout
    assert os.listdir(out / 'mot_results') == [seqs[0] + '.txt']
    assert list(json.loads((out / 'mot_metrics.json').read_text())['metrics']) == [seqs[0], 'OVERALL']


def test_truncated_video_keeps_partial_results_only_under_partial_names(tmp_path):
    seq = tmp_path / 'data' / 'PETS09-S2L1'
    seq.mkdir(parents=True)
    shutil.copy(os.path.join(PETS_SEQ, 'seqinfo.ini'), seq)
    video = open(os.path.join(PETS_SEQ, 'PETS09-S2L1.avi'), 'rb').read()
    (seq / 'PETS09-S2L1.avi').write_bytes(video[:len(video) // 3])  # header still announces 795 frames
    dets = tmp_path / 'dets'
    dets.mkdir()
    shutil.copy(PETS_DET, dets)
    out = tmp_path / 'out'
    (out / 'mot_results').mkdir(parents=True)
    (out / 'mot_results' / 'PETS09-S2L1.txt').write_text('previous complete results\n')
    proc = run_tool('tools/eval_mot.py', '-c', MOTION, '--det_results_dir', str(dets), '--output_dir', str(out),
                    '--save_videos', '-o', 'EvalMOTDataset.dataset_dir={}'.format(tmp_path),
                    'EvalMOTDataset.data_root=data', check=False)
    assert proc.returncode == 1
    assert 'truncated or corrupt' in proc.stdout
    assert (out / 'mot_results' / 'PETS09-S2L1.txt').read_text() == 'previous complete results\n'
    partial = results(out / 'mot_results' / 'PETS09-S2L1.txt.partial')
    assert 200 < partial[:, 0].max() < 795
    assert (out / 'mot_outputs' / 'PETS09-S2L1_vis.partial.mp4').stat().st_size > 0
    assert not (out / 'mot_outputs' / 'PETS09-S2L1_vis.mp4').exists()


def test_unwritable_output_folder(tmp_path):
    target = tmp_path / 'file'
    target.write_text('not a folder')
    proc = run_tool('tools/eval_mot.py', '-c', SAMPLE, '--output_dir', str(target / 'out'), check=False)
    assert proc.returncode == 1 and 'cannot write to output folder' in proc.stdout


def test_a_tracker_key_that_does_nothing_without_a_reid_model_is_refused():
    proc = run_tool('tools/eval_mot.py', '-c', SAMPLE, '-o', 'DeepSORT.reid=None', check=False)
    assert proc.returncode == 1
    assert proc.stdout.strip().splitlines()[-1].endswith(
        "FastDeepSORTTracker.appearance: ema does nothing on motion alone; it needs appearance embeddings (a ReID "
        "model, DeepSORT.reid): leave it out or set it to its default 'gallery'")
