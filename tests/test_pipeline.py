"""The run's stages: overlapped (decoding, detector and crops ahead of the tracker, drawing behind it) they track as
in line, from a video, a folder of frames and a live stream; detections every k frames (``det_interval``), the
tracks predicted between; and the time of every stage in the log."""

import os
import re

import cv2
import numpy as np
import pytest
from conftest import PETS_DET, PETS_SEQ, detections, metrics, motion_only_eval, pets_clip, run_tool
from mjpeg_server import MJPEGServer

pytestmark = pytest.mark.slow  # starts tool processes

SAMPLE = 'configs/mot/deepsort/deepsort_pets09_sample.yml'


def rows(path):
    return np.loadtxt(path, delimiter=',', ndmin=2)


def infer(source, out, *overrides):
    """tools/infer_mot.py with the sample's config (OSNet, ReID on demand) on saved detections."""
    return ['tools/infer_mot.py', '-c', SAMPLE, *source, '--output_dir', str(out), '--save_videos',
            '-o', *overrides]


def test_overlapped_stages_track_as_in_line(tmp_path):
    clip = pets_clip(tmp_path, 60)
    frames = tmp_path / 'frames'
    frames.mkdir()
    capture = cv2.VideoCapture(str(clip / 'walk.avi'))
    for k in range(60):
        cv2.imwrite(str(frames / '{:06d}.jpg'.format(k + 1)), capture.read()[1])
    (clip / 'dets' / 'frames.txt').write_text((clip / 'dets' / 'walk.txt').read_text())
    for source, name in ((['--video_file', str(clip / 'walk.avi')], 'walk'), (['--image_dir', str(frames)], 'frames')):
        results = {}
        for depth in (0, 4):
            out = tmp_path / '{}_{}'.format(name, depth)
            log = run_tool(*infer(source + ['--det_results_dir', str(clip / 'dets')], out,
                                  'read_ahead={}'.format(depth))).stdout
            results[depth] = rows(out / 'mot_results' / (name + '.txt'))
            assert re.search(r'ms per frame: decode [\d.]+, detector [\d.]+, crops [\d.]+, reid [\d.]+, tracker '
                             r'[\d.]+, output [\d.]+; ReID embedded \d+ of \d+ crops', log), log[-2000:]
            if name == 'walk':
                video = cv2.VideoCapture(str(out / 'mot_outputs' / 'walk_vis.mp4'))
                assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 60
        assert len(results[0]) > 200 and np.array_equal(results[0], results[4])


def test_a_live_stream_overlapped_tracks_as_in_line(tmp_path):
    video = os.path.join(PETS_SEQ, 'PETS09-S2L1.avi')
    dets = ['--det_results_dir', os.path.dirname(PETS_DET)]
    results = {}
    for depth in (0, 4):  # the same JPEG frames each time (the stream's, not the video's)
        out = tmp_path / 'live{}'.format(depth)
        with MJPEGServer(video, 'PETS09-S2L1', fps=50, frames=120, connections=1) as server:
            proc = run_tool(*infer(['--video_file', server.url] + dets, out, 'read_ahead={}'.format(depth),
                                   'TestMOTDataset.reconnect_tries=0', 'TestMOTDataset.stream_timeout=2'), check=False)
        assert 'the stream stopped after frame 120' in proc.stdout, proc.stdout[-2000:]
        results[depth] = rows(out / 'mot_results' / 'PETS09-S2L1.txt')
    assert results[0][:, 0].max() == 120 and np.array_equal(results[0], results[4])


def test_det_interval_predicts_the_tracks_between_detection_frames(tmp_path):
    """Motion only on MOT17-dev with detections on every 2nd frame: every frame is reported, the frames between
    hold the tracks of the frame before at their predicted boxes, and the score falls, but not apart."""
    dets = detections(tmp_path)
    scores = {}
    for k in (1, 2):
        out = tmp_path / 'k{}'.format(k)
        run_tool(*motion_only_eval(dets, out), 'det_interval={}'.format(k))  # one more key of its -o
        scores[k] = metrics(out)['OVERALL']['HOTA']
    seq = 'MOT17-05-FRCNN'
    table = rows(tmp_path / 'k2' / 'mot_results' / (seq + '.txt'))
    frames = np.unique(table[:, 0]).astype(int)
    assert (frames % 2 == 0).sum() > 300 and (frames % 2 == 1).sum() > 300  # reported on both kinds of frames
    ids = {int(f): set(table[table[:, 0] == f, 1].astype(int)) for f in frames}
    # frames 2, 4, ...: no detection; the tracks reported on the frame before, at their predicted boxes
    assert all(ids[f] == ids.get(f - 1, set()) for f in frames[frames % 2 == 0])
    moved = [np.abs(table[table[:, 0] == f, 2:6] - table[table[:, 0] == f - 1, 2:6]).max() for f in frames[1:100]
             if f % 2 == 0 and ids[f] and f - 1 in ids]
    assert np.mean(np.array(moved) > 0) > 0.5  # on their way, not frozen
    assert scores[1] - 0.06 < scores[2] < scores[1], scores
