"""Sequences and videos shared among workers of python -m paddle.distributed.launch (2 CPU workers, gloo), and
reading ahead: the same files as one process, the metrics printed once, failures reported by rank 0."""

import json
import os
import shutil

import pytest
from conftest import DEV, launch, pets_clip, run_tool

from ppdet_deepsort.utils.distributed import shard

MOT17_DEV = os.path.join(DEV, 'MOT17-dev')
SEQS = ['MOT17-02-FRCNN', 'MOT17-05-FRCNN', 'MOT17-09-FRCNN']
MOTION = 'configs/mot/deepsort/deepsort_motion_only.yml'


def det_dir(tmp_path, broken=None):
    dets = tmp_path / ('dets_broken' if broken else 'dets')
    dets.mkdir()
    for seq in SEQS:
        text = open(os.path.join(MOT17_DEV, 'train', seq, 'det', 'det.txt')).read()
        if seq == broken:
            lines = text.splitlines()
            lines[9] = lines[9].replace(',', ';', 1)
            text = '\n'.join(lines) + '\n'
        (dets / (seq + '.txt')).write_text(text)
    return dets


def eval_args(dets, out):
    return ['tools/eval_mot.py', '-c', MOTION, '--det_results_dir', str(dets), '--output_dir', str(out), '-o',
            'EvalMOTDataset.dataset_dir={}'.format(MOT17_DEV), 'EvalMOTDataset.data_root=train',
            'EvalMOTDataset.seqs=[{}]'.format(','.join(SEQS))]


def test_shard_balances_frames_the_same_way_every_time():
    frames = {'a': 600, 'b': 1050, 'c': 837, 'd': 525, 'e': 100}
    parts = [shard(frames, rank, 2) for rank in range(2)]
    assert sorted(parts[0] + parts[1]) == sorted(frames) and not set(parts[0]) & set(parts[1])
    loads = [sum(frames[n] for n in p) for p in parts]
    assert abs(loads[0] - loads[1]) <= 200
    assert parts == [shard(dict(reversed(list(frames.items()))), rank, 2) for rank in range(2)]
    assert shard(frames, 0, 1) == sorted(frames, key=lambda n: -frames[n])


@pytest.mark.slow
def test_two_workers_write_what_one_process_writes(tmp_path):
    dets = det_dir(tmp_path)
    run_tool(*eval_args(dets, tmp_path / 'one'))
    proc, logs = launch(tmp_path, 'two', *eval_args(dets, tmp_path / 'two'))
    assert proc.returncode == 0, proc.stdout[-3000:]
    for seq in SEQS:
        assert (tmp_path / 'one' / 'mot_results' / (seq + '.txt')).read_bytes() == \
            (tmp_path / 'two' / 'mot_results' / (seq + '.txt')).read_bytes()
    one = json.loads((tmp_path / 'one' / 'mot_metrics.json').read_text())
    assert json.loads((tmp_path / 'two' / 'mot_metrics.json').read_text()) == one
    assert list(one['metrics']) == SEQS + ['OVERALL']
    assert logs[0].count('OVERALL ') == 1 and 'OVERALL ' not in logs[1]  # printed once, by rank 0
    mine = [line for line in logs[0].splitlines() if 'Worker 0 of 2 tracks' in line]
    assert len(mine) == 1 and 'MOT17-02-FRCNN' not in mine[0]  # rank 0 did not track everything


@pytest.mark.slow
def test_a_sequence_failing_on_one_worker_is_reported_by_rank_0(tmp_path):
    # the split puts MOT17-05 (837 frames, the longest) on worker 0 and the other two on worker 1
    assert shard({'MOT17-02-FRCNN': 600, 'MOT17-05-FRCNN': 837, 'MOT17-09-FRCNN': 525}, 1, 2) == \
        ['MOT17-02-FRCNN', 'MOT17-09-FRCNN']
    dets = det_dir(tmp_path, broken='MOT17-09-FRCNN')
    out = tmp_path / 'out'
    proc, logs = launch(tmp_path, 'bad', *eval_args(dets, out))
    assert proc.returncode != 0
    assert '1 of 3 sequences failed: MOT17-09-FRCNN: {}:10:'.format(dets / 'MOT17-09-FRCNN.txt') in logs[0]
    assert sorted(os.listdir(out / 'mot_results')) == ['MOT17-02-FRCNN.txt', 'MOT17-05-FRCNN.txt']
    assert list(json.loads((out / 'mot_metrics.json').read_text())['metrics']) == ['MOT17-02-FRCNN',
                                                                                   'MOT17-05-FRCNN', 'OVERALL']


@pytest.mark.slow
def test_several_videos_shared_among_workers_and_reading_ahead(tmp_path):
    """infer_mot.py with two videos (a PETS09 clip twice, the second shorter): the launcher's two workers write
    the files one process writes, reading ahead (frames, detections and OSNet crops in a thread) or not."""
    clip = pets_clip(tmp_path, 40)
    videos = tmp_path / 'videos'
    videos.mkdir()
    shutil.copy(clip / 'walk.avi', videos / 'walk.avi')
    shutil.copy(clip / 'walk.avi', videos / 'walk_again.avi')
    shutil.copy(clip / 'dets' / 'walk.txt', clip / 'dets' / 'walk_again.txt')
    osnet = 'configs/mot/deepsort/deepsort_osnet_x0_25.yml'
    common = ['--det_results_dir', str(clip / 'dets'), '-o', 'reid_precision=fp32']
    run_tool('tools/infer_mot.py', '-c', osnet, '--video_dir', str(videos), '--output_dir', str(tmp_path / 'ahead'),
             *common)
    run_tool('tools/infer_mot.py', '-c', osnet, '--video_file', str(videos / 'walk.avi'),
             str(videos / 'walk_again.avi'), '--output_dir', str(tmp_path / 'inline'), *common[:-1],
             'reid_precision=fp32', 'read_ahead=0')
    proc, logs = launch(tmp_path, 'videos', 'tools/infer_mot.py', '-c', osnet, '--video_dir', str(videos),
                        '--output_dir', str(tmp_path / 'two'), *common)
    assert proc.returncode == 0, proc.stdout[-3000:]
    for name in ('walk', 'walk_again'):
        ahead = (tmp_path / 'ahead' / 'mot_results' / (name + '.txt')).read_bytes()
        assert len(ahead.splitlines()) > 100
        assert ahead == (tmp_path / 'inline' / 'mot_results' / (name + '.txt')).read_bytes()
        assert ahead == (tmp_path / 'two' / 'mot_results' / (name + '.txt')).read_bytes()
    assert 'Worker 0 of 2 tracks 1 of the 2 sequences' in logs[0]
