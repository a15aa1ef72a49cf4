"""A write that fails (a file-size limit, a full disk) stops the tool with one line naming the file and the cause;
nothing half written is left where a complete file belongs, the results written before stay intact, and --resume
then finishes the run as if nothing had happened. Under the launcher the other workers stop too and rank 0
reports it."""

import contextlib
import json
import os
import resource
import subprocess
import sys

import pytest
from conftest import REPO, SEQS, assert_same_run, detections, launch, motion_only_eval, pets_clip, run_tool
from test_distributed import det_dir, eval_args

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

LIMIT = 1 << 20  # bytes: above MOT17-02's results (408 kB), below MOT17-04's (1.4 MB)


def limited(args, limit):
    """A tool run with a file-size limit (ulimit -f): a write beyond it fails with EFBIG."""
    def set_limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return subprocess.run([sys.executable] + list(args), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=900, preexec_fn=set_limit)


def files(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def check_stopped_then_resumed(whole, dets, out, proc, cause):
    """MOT17-02 written, MOT17-04 failed on ``cause`` and nothing of it left, MOT17-05 not started; --resume
    then gives the uninterrupted run's files and metrics (in ``whole``)."""
    failed = out / 'mot_results' / (SEQS[1] + '.txt')
    assert proc.returncode == 1
    assert proc.stdout.strip().splitlines()[-1].endswith(
        'cannot write {}: {}. The run stopped with 1 of 3 sequences finished; --resume tracks the others'.format(
            failed, cause)), proc.stdout[-2000:]
    assert 'Traceback' not in proc.stdout
    assert files(out / 'mot_results') == [SEQS[0] + '.txt']  # no temporary file, no .partial
    assert files(out / 'mot_manifests') == [SEQS[0] + '.json']
    assert not (out / 'mot_metrics.json').exists()

    resumed = run_tool(*motion_only_eval(dets, out, '--resume')).stdout
    assert '{}: resumed'.format(SEQS[0]) in resumed
    assert_same_run(out, whole)


def test_file_size_limit_stops_the_run_naming_the_file(tmp_path, uninterrupted):
    dets = detections(tmp_path)
    out = tmp_path / 'out'
    proc = limited(motion_only_eval(dets, out), LIMIT)
    check_stopped_then_resumed(uninterrupted, dets, out, proc, 'File too large (EFBIG)')


@contextlib.contextmanager
def small_filesystem(folder, size):
    """A tmpfs of ``size`` mounted on ``folder`` (where mounting is allowed); (re)mount it larger to make room."""
    folder.mkdir()
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size={}'.format(size), 'tmpfs', str(folder)],
                      stderr=subprocess.DEVNULL).returncode != 0:
        pytest.skip('mounting a tmpfs is not allowed here')
    try:
        yield lambda bigger: subprocess.run(['mount', '-o', 'remount,size={}'.format(bigger), str(folder)],
                                            check=True)
    finally:
        subprocess.run(['umount', str(folder)], check=True)


def test_full_disk_stops_the_run_naming_the_file(tmp_path, uninterrupted):
    dets = detections(tmp_path)
    with small_filesystem(tmp_path / 'disk', LIMIT) as make_room:
        out = tmp_path / 'disk' / 'out'
        proc = run_tool(*motion_only_eval(dets, out), check=False)
        make_room(16 * LIMIT)
        check_stopped_then_resumed(uninterrupted, dets, out, proc, 'No space left on device (ENOSPC)')


def test_read_only_results_folder_stops_the_run_naming_the_file(tmp_path):
    dets = detections(tmp_path)
    out = tmp_path / 'out'
    results = out / 'mot_results'
    results.mkdir(parents=True)
    # A read-only bind mount: permission bits would not stop root, which the tests may run as.
    if subprocess.run(['mount', '--bind', str(results), str(results)], stderr=subprocess.DEVNULL).returncode != 0:
        pytest.skip('bind mounts are not allowed here')
    try:
        subprocess.run(['mount', '-o', 'remount,bind,ro', str(results)], check=True)
        proc = run_tool(*motion_only_eval(dets, out), check=False)
    finally:
        subprocess.run(['umount', str(results)], check=True)
    assert proc.returncode == 1
    assert proc.stdout.strip().splitlines()[-1].endswith(
        'cannot write {}: Read-only file system (EROFS). The run stopped with 0 of 3 sequences finished; --resume '
        'tracks the others'.format(results / (SEQS[0] + '.txt'))), proc.stdout[-2000:]
    assert files(results) == [] and files(out / 'mot_manifests') == []


def test_video_that_cannot_be_written_leaves_nothing_in_place(tmp_path):
    clip = pets_clip(tmp_path, 150)
    out = tmp_path / 'out'
    args = ['tools/infer_mot.py', '-c', 'configs/mot/deepsort/deepsort_motion_only.yml', '--video_file',
            str(clip / 'walk.avi'), '--det_results_dir', str(clip / 'dets'), '--output_dir', str(out),
            '--save_videos']
    proc = limited(args, 400_000)  # about 60 annotated frames
    assert proc.returncode == 1
    last = proc.stdout.strip().splitlines()[-1]
    assert 'cannot write {}: File too large (EFBIG), the file-size limit (ulimit -f) being 400000 bytes'.format(
        out / 'mot_outputs' / 'walk_vis.mp4') in last
    assert files(out / 'mot_outputs') == [] and files(out / 'mot_results') == []


def test_a_write_failing_on_one_worker_stops_the_others_and_rank_0_reports_it(tmp_path):
    # the launcher's split: MOT17-05 (results 187 kB) on worker 0; MOT17-02 (408 kB), then MOT17-09 on worker 1
    dets = det_dir(tmp_path)
    out = tmp_path / 'out'
    logs = tmp_path / 'logs'
    proc = limited(['-m', 'paddle.distributed.launch', '--nproc_per_node', '2', '--log_dir', str(logs),
                    *eval_args(dets, out)], 300_000)
    assert proc.returncode != 0
    rank0, rank1 = [(logs / 'workerlog.{}'.format(k)).read_text() for k in range(2)]
    failed = out / 'mot_results' / 'MOT17-02-FRCNN.txt'
    assert 'worker 1: cannot write {}: File too large (EFBIG). The run stopped with'.format(failed) in \
        rank0.strip().splitlines()[-1]
    assert 'Track sequence: MOT17-09-FRCNN' not in rank1 and 'Evaluate sequence: MOT17-09-FRCNN' not in rank1
    assert 'MOT17-02-FRCNN.txt' not in files(out / 'mot_results')
    assert not any(name.endswith('.tmp') for name in files(out / 'mot_results'))
    assert not (out / 'mot_metrics.json').exists()
    # worker 0 either finished MOT17-05 before it heard of the stop or kept what it had as .partial; --resume
    # under the launcher finishes the run as one uninterrupted process would have
    run_tool(*eval_args(dets, tmp_path / 'one'))
    resumed, logs = launch(tmp_path, 'resumed', *eval_args(dets, out), '--resume')
    assert resumed.returncode == 0, resumed.stdout[-3000:]
    for seq in ('MOT17-02-FRCNN', 'MOT17-05-FRCNN', 'MOT17-09-FRCNN'):
        assert (out / 'mot_results' / (seq + '.txt')).read_bytes() == \
            (tmp_path / 'one' / 'mot_results' / (seq + '.txt')).read_bytes()
    assert json.loads((out / 'mot_metrics.json').read_text()) == \
        json.loads((tmp_path / 'one' / 'mot_metrics.json').read_text())
