"""tools/infer_mot.py on videos and image folders: results, annotated output, and clear errors."""

import os
import shutil

import cv2
import numpy as np
import pytest
from conftest import MOT17, pets_clip, run_tool

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

OSNET = 'configs/mot/deepsort/deepsort_osnet_x0_25.yml'


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    return pets_clip(tmp_path_factory.mktemp('clip'), 60)


def test_video_with_annotated_output(tmp_path, clip):
    out = tmp_path / 'out'
    proc = run_tool('tools/infer_mot.py', '-c', OSNET, '--video_file', str(clip / 'walk.avi'), '--det_results_dir',
                    str(clip / 'dets'), '--output_dir', str(out), '--save_videos', '--save_images')
    table = np.loadtxt(out / 'mot_results' / 'walk.txt', delimiter=',')
    assert table[:, 0].max() <= 60 and len(np.unique(table[:, 1])) >= 4
    video = cv2.VideoCapture(str(out / 'mot_outputs' / 'walk_vis.mp4'))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 60
    assert (video.get(cv2.CAP_PROP_FRAME_WIDTH), video.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (768, 576)
    ok, frame = video.read()
    assert ok
    images = sorted(os.listdir(out / 'mot_outputs' / 'walk'))
    assert images[0] == '00000.jpg' and len(images) == 60
    annotated = cv2.imread(str(out / 'mot_outputs' / 'walk' / '00030.jpg'))
    original = cv2.VideoCapture(str(clip / 'walk.avi'))
    for _ in range(31):
        ok, raw = original.read()
    assert np.abs(annotated.astype(int) - raw).mean() > 1  # boxes and labels were drawn
    assert 'FPS' in proc.stdout and 'evaluat' not in proc.stdout.lower()


def test_csv_and_json_rows_are_the_mot_rows_with_time_class_and_state(tmp_path, clip):
    """--save_format csv json: the rows of the MOTChallenge file, with each frame's time, the class, and whether the box
    was matched (observed), the track's prediction (frames without detections here: det_interval 2) or filled in
    by the offline interpolation."""
    import csv
    import json
    out = tmp_path / 'out'
    run_tool('tools/infer_mot.py', '-c', 'configs/mot/deepsort/deepsort_motion_only.yml', '--video_file',
             str(clip / 'walk.avi'), '--det_results_dir', str(clip / 'dets'), '--output_dir', str(out),
             '--save_format', 'csv', 'json', '-o', 'det_interval=2', 'interpolate_max_gap=10')
    mot = np.loadtxt(out / 'mot_results' / 'walk.txt', delimiter=',')
    rows = list(csv.DictReader(open(out / 'mot_results' / 'walk.csv')))
    lines = [json.loads(line) for line in open(out / 'mot_results' / 'walk.jsonl')]
    assert [dict(r, **{k: float(r[k]) for k in r if k != 'state'}) for r in rows] == [
        dict(j, **{k: float(j[k]) for k in j if k != 'state'}) for j in lines]
    table = np.array([[float(r[k]) for k in ('frame', 'id', 'x', 'y', 'w', 'h', 'score')] for r in rows])
    np.testing.assert_allclose(table, mot[:, :7], atol=0.0051)
    np.testing.assert_allclose([float(r['seconds']) for r in rows], (mot[:, 0] - 1) / 7, atol=0.001)  # 7 fps
    states = {r['state'] for r in rows}
    assert states == {'observed', 'predicted', 'interpolated'}
    even = {r['state'] for r in rows if int(r['frame']) % 2 == 0}  # frames without detections
    assert 'predicted' in even and 'observed' not in even
    assert {r['class'] for r in rows} == {'0'}


def test_image_folder(tmp_path):
    seq = 'MOT17-05-FRCNN'
    frames = tmp_path / seq
    shutil.copytree(os.path.join(MOT17, seq, 'img1'), frames)
    dets = tmp_path / 'dets'
    dets.mkdir()
    lines = [line for line in open(os.path.join(MOT17, seq, 'det', 'det.txt')) if int(line.split(',')[0]) <= 6]
    (dets / (seq + '.txt')).write_text(''.join(lines))  # a bare folder of 6 frames: detections must fit
    out = tmp_path / 'out'
    run_tool('tools/infer_mot.py', '-c', OSNET, '--image_dir', str(frames), '--det_results_dir', str(dets),
             '--output_dir', str(out), '--save_images', '-o', 'FastDeepSORTTracker.n_init=1')
    table = np.loadtxt(out / 'mot_results' / (seq + '.txt'), delimiter=',')
    assert set(table[:, 0].astype(int)) <= set(range(1, 7)) and len(table) > 5
    assert len(os.listdir(out / 'mot_outputs' / seq)) == 6


def test_errors_are_clear_and_nothing_is_left_half_written(tmp_path, clip):
    out = tmp_path / 'out'
    garbage = tmp_path / 'garbage.mp4'
    garbage.write_bytes(b'not a video at all' * 100)
    proc = run_tool('tools/infer_mot.py', '-c', OSNET, '--video_file', str(garbage), '--det_results_dir',
                    str(clip / 'dets'), '--output_dir', str(out), check=False)
    assert proc.returncode == 1 and 'cannot open video' in proc.stdout and 'Traceback' not in proc.stdout

    longer = tmp_path / 'longer'
    longer.mkdir()
    lines = open(clip / 'dets' / 'walk.txt').read().splitlines()
    (longer / 'walk.txt').write_text('\n'.join(lines + ['61,-1,100,100,30,80,0.9,-1,-1,-1']) + '\n')
    proc = run_tool('tools/infer_mot.py', '-c', OSNET, '--video_file', str(clip / 'walk.avi'), '--det_results_dir',
                    str(longer), '--output_dir', str(out), '--save_videos', check=False)
    assert proc.returncode == 1
    assert '{}:{}: frame beyond the sequence (60 frames)'.format(longer / 'walk.txt', len(lines) + 1) in proc.stdout
    assert not (out / 'mot_results' / 'walk.txt').exists()

    shorter = tmp_path / 'shorter'
    shorter.mkdir()
    (shorter / 'walk.txt').write_text(''.join(line + '\n' for line in lines if int(line.split(',')[0]) <= 20))
    proc = run_tool('tools/infer_mot.py', '-c', OSNET, '--video_file', str(clip / 'walk.avi'), '--det_results_dir',
                    str(shorter), '--output_dir', str(out))
    assert 'detections end at frame 20 of 60' in proc.stdout

    proc = run_tool('tools/infer_mot.py', '-c', OSNET, '--video_file', str(clip / 'walk.avi'), '--det_results_dir',
                    str(tmp_path), '--output_dir', str(out), check=False)
    assert proc.returncode == 1 and 'detection file not found: {}'.format(tmp_path / 'walk.txt') in proc.stdout

    proc = run_tool('tools/infer_mot.py', '-c', OSNET, '--video_file', str(clip / 'walk.avi'), '--image_dir',
                    str(tmp_path), check=False)
    assert proc.returncode == 1 and 'exactly one of --video_file, --video_dir, --image_dir and --camera' in proc.stdout
