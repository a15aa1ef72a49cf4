"""--resume: a run killed after its first sequence, resumed, gives what an uninterrupted run gives and tracks only what
was not finished; a changed config or detection file makes it track the sequence again, saying why."""

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO, SEQS, assert_same_run, detections, launch, motion_only_eval, run_tool

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

def start_until(args, manifest, **output):
    """A tool started in the background, once ``manifest`` (a sequence's, written when it is done) exists."""
    proc = subprocess.Popen([sys.executable] + args, cwd=REPO, **(output or {'stdout': subprocess.DEVNULL,
                                                                               'stderr': subprocess.DEVNULL}))
    deadline = time.time() + 300
    while not manifest.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    return proc


def test_a_killed_run_resumes_where_it_stopped(tmp_path, uninterrupted):
    dets = detections(tmp_path)
    whole = uninterrupted

    killed = tmp_path / 'killed'
    first = killed / 'mot_manifests' / (SEQS[0] + '.json')
    proc = start_until(motion_only_eval(dets, killed), first)
    proc.send_signal(signal.SIGKILL)  # right after the first sequence is done: as a crash or an OOM kill would
    proc.wait()
    assert first.exists() and not (killed / 'mot_manifests' / (SEQS[2] + '.json')).exists()

    resumed = run_tool(*motion_only_eval(dets, killed, '--resume')).stdout
    assert '{}: resumed'.format(SEQS[0]) in resumed
    for seq in SEQS[1:]:
        assert '{}: tracked again'.format(seq) in resumed and 'Evaluate sequence: {}'.format(seq) in resumed
    assert 'Evaluate sequence: {}'.format(SEQS[0]) not in resumed
    assert_same_run(killed, whole)


def test_a_run_stopped_with_sigterm_keeps_what_it_tracked_and_resumes(tmp_path, uninterrupted):
    dets = detections(tmp_path)
    whole = uninterrupted
    out = tmp_path / 'stopped'
    proc = start_until(motion_only_eval(dets, out), out / 'mot_manifests' / (SEQS[0] + '.json'),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    proc.send_signal(signal.SIGTERM)
    log = proc.communicate(timeout=120)[0]
    assert proc.returncode == 1
    assert log.strip().splitlines()[-1].endswith('stopped by SIGTERM. The run stopped with 1 of 3 sequences '
                                                 'finished; --resume tracks the others'), log[-2000:]
    assert 'Traceback' not in log and 'OVERALL' not in log  # nothing evaluated
    # between two frames of MOT17-04 (what it had is kept aside), or before it started; MOT17-05 never started
    kept = sorted(os.listdir(out / 'mot_results'))
    assert kept in ([SEQS[0] + '.txt', SEQS[1] + '.txt.partial'], [SEQS[0] + '.txt']), kept
    assert 'Evaluate sequence: {}'.format(SEQS[2]) not in log

    resumed = run_tool(*motion_only_eval(dets, out, '--resume')).stdout
    assert 'Resumed 1 of 3 sequences (complete for these settings and inputs, not tracked again): {}; tracked: ' \
        '{}, {}'.format(*SEQS) in resumed
    assert sorted(os.listdir(out / 'mot_results')) == sorted(seq + '.txt' for seq in SEQS)  # no stale .partial
    assert_same_run(out, whole)


def test_resume_tracks_again_what_changed(tmp_path):
    dets = detections(tmp_path)
    out = tmp_path / 'out'
    run_tool(*motion_only_eval(dets, out))
    other = run_tool(*motion_only_eval(dets, out, '--resume') + ['FastDeepSORTTracker.max_age=30']).stdout
    assert all('{}: tracked again: written with other settings or weights'.format(seq) in other for seq in SEQS)

    changed = dets / (SEQS[1] + '.txt')
    changed.write_text(''.join(changed.read_text().splitlines(True)[1:]))  # one detection fewer
    again = run_tool(*motion_only_eval(dets, out, '--resume') + ['FastDeepSORTTracker.max_age=30']).stdout
    assert '{}: tracked again: its detections changed since'.format(SEQS[1]) in again
    assert '{}: resumed'.format(SEQS[0]) in again and '{}: resumed'.format(SEQS[2]) in again

    (out / 'mot_results' / (SEQS[2] + '.txt')).write_text('1,1,0,0,10,10,1,-1,-1,-1\n')  # not what was written
    edited = run_tool(*motion_only_eval(dets, out, '--resume') + ['FastDeepSORTTracker.max_age=30']).stdout
    assert "{}: tracked again: its result file is not the one the manifest describes".format(SEQS[2]) in edited


def test_a_worker_killed_under_the_launcher_resumes_where_it_stopped(tmp_path, uninterrupted):
    import psutil

    # the launcher's split: MOT17-04 (1050 frames) on worker 0; MOT17-05 (837), then MOT17-02 on worker 1
    dets = detections(tmp_path)
    whole = uninterrupted
    out, logs = tmp_path / 'killed', tmp_path / 'killed_logs'
    first = out / 'mot_manifests' / (SEQS[2] + '.json')
    proc = start_until(['-m', 'paddle.distributed.launch', '--nproc_per_node', '2', '--log_dir', str(logs)] +
                       motion_only_eval(dets, out), first)
    worker = next(p for p in psutil.Process(proc.pid).children()
                  if p.environ().get('PADDLE_TRAINER_ID') == '1')
    worker.send_signal(signal.SIGKILL)  # worker 1, right after its first sequence: as an OOM kill would
    proc.wait(timeout=120)  # the launcher then stops worker 0 (SIGTERM), which stops between two frames
    assert proc.returncode != 0 and first.exists()
    assert not (out / 'mot_manifests' / (SEQS[0] + '.json')).exists()  # worker 1's second sequence
    assert not any(name.endswith('.tmp') for name in os.listdir(out / 'mot_results'))
    # worker 0 finished MOT17-04 before the launcher stopped it, or kept what it had tracked as .partial
    done = [SEQS[2]] + [SEQS[1]] * (out / 'mot_manifests' / (SEQS[1] + '.json')).exists()
    assert len(done) == 2 or (out / 'mot_results' / (SEQS[1] + '.txt.partial')).exists()

    resumed, worker_logs = launch(tmp_path, 'resumed', *motion_only_eval(dets, out, '--resume'))
    assert resumed.returncode == 0, resumed.stdout[-3000:]
    # rank 0 says what the workers did (theirs do not log, as in ppdet): worker 1's finished sequence was resumed
    summary = [line for line in worker_logs[0].splitlines() if 'Resumed ' in line]
    assert len(summary) == 1, worker_logs[0][-3000:]
    resumed_seqs, tracked = summary[0].split('not tracked again): ')[1].split('; tracked: ')
    assert sorted(resumed_seqs.split(', ')) == sorted(done)
    assert sorted(tracked.split(', ')) == sorted(set(SEQS) - set(done))
    assert_same_run(out, whole)
