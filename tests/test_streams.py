"""Live input: a local MJPEG stream (the sample video over loopback HTTP, in real time) tracked by tools/infer_mot.py
and stopped with SIGTERM keeps everything tracked up to then; a stream that stops sending is reported with its last
frame; results are flushed while the stream runs."""

import pytest
import json
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
from conftest import PETS_DET, PETS_SEQ, REPO, run_tool
from mjpeg_server import MJPEGServer

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

VIDEO = os.path.join(PETS_SEQ, 'PETS09-S2L1.avi')
NAME = 'PETS09-S2L1'  # the stream's name, from its address: its detections are {det_results_dir}/PETS09-S2L1.txt


def infer(source_args, out, *overrides, video=True, flags=()):
    # One frame rate for the file and the stream (whose server announces none): the tracker's times depend on it.
    return ['tools/infer_mot.py', '-c', 'configs/mot/deepsort/deepsort_motion_only.yml', *source_args,
            '--det_results_dir', os.path.dirname(PETS_DET), '--output_dir', str(out), '--frame_rate', '10'] + \
        ['--save_videos'] * video + list(flags) + (['-o', *overrides] if overrides else [])


def rows(path):
    return np.loadtxt(path, delimiter=',', ndmin=2)


def first_frames(table, last):
    return table[table[:, 0] <= last]


def flushed_once(partial, proc, condition, limit=120):
    """The rows flushed to ``partial`` so far, once they fulfil ``condition`` while ``proc`` runs (looked at every
    50 ms, for ``limit`` seconds at most)."""
    deadline = time.time() + limit
    while proc.poll() is None and time.time() < deadline:
        table = rows(partial) if partial.exists() and partial.stat().st_size else None
        if table is not None and condition(table):
            return table
        time.sleep(0.05)
    raise AssertionError('{}: no flush as awaited while the tool ran'.format(partial))


def test_stream_stopped_with_sigterm_keeps_what_was_tracked(tmp_path):
    whole = tmp_path / 'file'
    run_tool(*infer(['--video_file', VIDEO], whole))
    out = tmp_path / 'live'
    partial = out / 'mot_results' / (NAME + '.txt.partial')
    with MJPEGServer(VIDEO, NAME, fps=25) as server:
        proc = subprocess.Popen([sys.executable] + infer(['--video_file', server.url], out, 'flush_interval=0.5',
                                                         flags=['--save_format', 'csv', '--do_entrance_counting']),
                                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        first = flushed_once(partial, proc, lambda table: True)
        flushed = flushed_once(partial, proc, lambda table: len(table) > len(first))  # a later flush
        # the table and the counts are flushed with the results
        table_partial = (out / 'mot_results' / (NAME + '.csv.partial')).read_text().splitlines()
        assert table_partial[0].startswith('frame,seconds,id') and len(table_partial) > len(first)
        assert json.loads((out / 'mot_counts' / (NAME + '.json')).read_text())['regions']['entrance']
        proc.send_signal(signal.SIGTERM)
        log = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, log[-3000:]
    assert not partial.exists()  # replaced by the complete results
    live = rows(out / 'mot_results' / (NAME + '.txt'))
    assert not (out / 'mot_results' / (NAME + '.csv.partial')).exists()
    assert len((out / 'mot_results' / (NAME + '.csv')).read_text().splitlines()) == len(live) + 1
    last = int(live[:, 0].max())
    assert flushed[:, 0].max() <= last < 795, log[-2000:]  # stopped while the stream ran, after the flushes
    # Online tracking on the same detections: what the stream gave up to its stop is what the file gives there,
    # and the flushed rows are the start of it.
    assert np.array_equal(live, first_frames(rows(whole / 'mot_results' / (NAME + '.txt')), last))
    # each flush appended to the one before: the file grew, and what it held is the start of the results
    assert np.array_equal(first, flushed[:len(first)]) and np.array_equal(flushed, live[:len(flushed)])
    video = cv2.VideoCapture(str(out / 'mot_outputs' / (NAME + '_vis.mp4')))
    assert video.get(cv2.CAP_PROP_FRAME_COUNT) >= last and video.read()[0]


def test_stream_that_stops_sending_is_reported_with_its_last_frame(tmp_path):
    out = tmp_path / 'live'
    with MJPEGServer(VIDEO, NAME, fps=100, frames=60, connections=1) as server:
        # no video and no ReID model: nothing needs the pixels, yet the stream's frames are what is tracked
        proc = run_tool(*infer(['--video_file', server.url], out, 'TestMOTDataset.reconnect_tries=2',
                               'TestMOTDataset.stream_timeout=2', video=False), check=False)
        tries = server.served
    assert proc.returncode == 1
    result = out / 'mot_results' / (NAME + '.txt')
    error = proc.stdout.strip().splitlines()[-1]
    assert 'the stream stopped after frame 60 (2 reconnect tries got no frame)' in error and str(result) in error
    assert proc.stdout.count('reconnecting (try') == 2 and tries == 3
    live = rows(result)
    assert live[:, 0].max() == 60 and not (out / 'mot_results' / (NAME + '.txt.partial')).exists()


def test_a_stalled_stream_stops_without_waiting_for_its_reconnect_tries(tmp_path):
    out = tmp_path / 'live'
    partial = out / 'mot_results' / (NAME + '.txt.partial')
    with MJPEGServer(VIDEO, NAME, fps=100, frames=30, connections=1, hang=True) as server:
        proc = subprocess.Popen([sys.executable] + infer(
            ['--video_file', server.url], out, 'flush_interval=0.2', 'TestMOTDataset.reconnect_tries=10',
            'TestMOTDataset.stream_timeout=2'), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        flushed_once(partial, proc, lambda table: table[:, 0].max() == 30)
        proc.send_signal(signal.SIGTERM)
        log = proc.communicate(timeout=60)[0]
    # the read in progress times out, then the stop ends the stream: none of its 10 reconnect tries is made, but the
    # one a timeout may have begun before the signal came
    assert log.count('reconnecting (try') <= 1, log[-2000:]
    assert proc.returncode == 0 and 'stopped by SIGTERM after frame 30' in log
    assert rows(out / 'mot_results' / (NAME + '.txt'))[:, 0].max() == 30


def test_camera_or_stream_that_cannot_be_opened_is_named(tmp_path):
    proc = run_tool(*infer(['--camera', '7'], tmp_path / 'out'), check=False)
    assert proc.returncode == 1
    assert proc.stdout.strip().splitlines()[-1].endswith('camera7: cannot open camera 7 (no such device, or in use)')
    with MJPEGServer(VIDEO, NAME, connections=0) as server:  # answers every connection with 404
        proc = run_tool(*infer(['--video_file', server.url], tmp_path / 'out', 'TestMOTDataset.stream_timeout=2'),
                        check=False)
    assert proc.returncode == 1
    assert proc.stdout.strip().splitlines()[-1].endswith('{}: cannot open stream {} (no answer within 2 s, or not a '
                                                         'stream OpenCV reads)'.format(NAME, server.url))


def test_workers_share_live_inputs_without_opening_them():
    from ppdet_deepsort.data import MOTSequences
    from ppdet_deepsort.data.stream import Stream
    from ppdet_deepsort.engine.plan import frame_counts
    from ppdet_deepsort.utils.distributed import shard

    with MJPEGServer(VIDEO, NAME, connections=1) as server:  # a camera that lets in one reader
        dataset = MOTSequences()
        dataset.set_videos([server.url, VIDEO.replace(NAME, 'missing')])
        counts = frame_counts(dataset, dataset.sequences())
        assert server.served == 0  # its one connection is left for the worker that tracks it
    assert counts == {NAME: len(Stream.frame_ids), 'missing': 0}
    assert shard(counts, 0, 2) == [NAME] and shard(counts, 1, 2) == ['missing']
