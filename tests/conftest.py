import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, 'tests', 'data')
PETS_DIR = os.path.join(REPO, 'dataset', 'mot', 'PETS09')
PETS_DET = os.path.join(PETS_DIR, 'det_results', 'PETS09-S2L1.txt')
PETS_SEQ = os.path.join(PETS_DIR, 'images', 'train', 'PETS09-S2L1')
MOT17 = os.path.join(DATA, 'MOT17', 'train')
DEV = os.path.join(DATA, 'dev')  # the dev split: MOT17-dev, PETS09-S2L1 1-399 gt, peers' results

sys.path.insert(0, REPO)
import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the components, quiets ppdet's import)


def default_reid_log(name):
    """The log line that says how the tools' defaults run the ReID model ``name`` on the CPU: on the runtime
    measured fastest (raced now, or remembered from a run before)."""
    return '{} runs on the runtime measured fastest here: '.format(name)


def box_embeddings(tlwh, dim=128, sigma=30., seed=0):
    """Deterministic stand-in for ReID features: random Fourier features of the box centre and size, so
    boxes of the same person in consecutive frames are close (cosine) and distant boxes are not."""
    rng = np.random.RandomState(seed)
    w = rng.normal(0, 1. / sigma, size=(4, dim))
    b = rng.uniform(0, 2 * np.pi, dim)
    geometry = np.c_[tlwh[:, 0] + tlwh[:, 2] / 2, tlwh[:, 1] + tlwh[:, 3] / 2, tlwh[:, 2], tlwh[:, 3]]
    return np.cos(geometry @ w + b).astype(np.float32)


def det_stream(path, num_frames=None):
    """Per frame (1..last): ppdet-style pred_dets [cls, score, x1, y1, x2, y2] float32, as ppdet's engine
    builds them from a det file, and the boxes' tlwh."""
    from ppdet_deepsort.data.det_file import load_detections
    dets = load_detections(path, num_frames)
    frames = []
    for frame_id in range(1, dets.last_frame + 1):
        tlwh, score, _ = dets.in_frame(frame_id)
        tlwh = tlwh.astype(np.float32)
        pred = np.c_[np.zeros(len(tlwh)), score, tlwh[:, :2], tlwh[:, :2] + tlwh[:, 2:]].astype(np.float32)
        frames.append((pred, tlwh))
    return frames


def reported(tracks):
    """Sorted (id, tlwh) of the tracks ppdet's engine reports: confirmed, matched this frame or the last."""
    return sorted((t.track_id, tuple(t.to_tlwh().tolist())) for t in tracks
                  if t.is_confirmed() and t.time_since_update <= 1)


def track(tracker, stream, with_embeddings=True):
    """The reported tracks of each frame of a det_stream, with box_embeddings or on motion alone."""
    out = []
    for pred_dets, tlwh in stream:
        tracker.predict()
        out.append(reported(tracker.update(pred_dets, box_embeddings(tlwh) if with_embeddings else None)))
    return out


def run_tool(*args, cwd=REPO, check=True):
    """Run a tool as a user would; returns the CompletedProcess (stdout and stderr merged)."""
    proc = subprocess.run([sys.executable] + list(args), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError('{} failed ({}):\n{}'.format(' '.join(args), proc.returncode, proc.stdout[-4000:]))
    return proc


def launch(tmp_path, name, *args):
    """A tool under the launcher with 2 workers; (completed process, [log of worker 0, log of worker 1])."""
    logs = tmp_path / (name + '_logs')
    proc = run_tool('-m', 'paddle.distributed.launch', '--nproc_per_node', '2', '--log_dir', str(logs), *args,
                    check=False)
    return proc, [(logs / 'workerlog.{}'.format(k)).read_text() for k in range(2)]


def pets_clip(folder, frames):
    """The first ``frames`` frames of the PETS09-S2L1 video as ``folder/walk.avi`` (re-encoded, so a video
    the tools have not seen) and their detections as ``folder/dets/walk.txt``."""
    import cv2
    capture = cv2.VideoCapture(os.path.join(PETS_SEQ, 'PETS09-S2L1.avi'))
    writer = cv2.VideoWriter(str(folder / 'walk.avi'), cv2.VideoWriter_fourcc(*'MJPG'), 7, (768, 576))
    for _ in range(frames):
        writer.write(capture.read()[1])
    writer.release()
    (folder / 'dets').mkdir()
    lines = [line for line in open(PETS_DET) if int(line.split(',')[0]) <= frames]
    (folder / 'dets' / 'walk.txt').write_text(''.join(lines))
    return folder


@pytest.fixture(scope='session')
def pets_stream():
    return det_stream(PETS_DET, 795)


SEQS = ['MOT17-02-FRCNN', 'MOT17-04-FRCNN', 'MOT17-05-FRCNN']  # the motion-only runs of --resume's tests


def motion_only_eval(dets, out, *extra):
    """tools/eval_mot.py with the motion-only config on SEQS of MOT17-dev, detections from ``dets``."""
    return ['tools/eval_mot.py', '-c', 'configs/mot/deepsort/deepsort_motion_only.yml', '--det_results_dir', str(dets),
            '--output_dir', str(out), *extra, '-o', 'EvalMOTDataset.dataset_dir=' + DEV,
            'EvalMOTDataset.data_root=MOT17-dev/train', 'EvalMOTDataset.seqs=[{}]'.format(','.join(SEQS))]


def detections(tmp_path):
    """SEQS' public detections, copied to ``tmp_path/dets``."""
    dets = tmp_path / 'dets'
    dets.mkdir()
    for seq in SEQS:
        shutil.copy(os.path.join(DEV, 'MOT17-dev', 'train', seq, 'det', 'det.txt'), dets / (seq + '.txt'))
    return dets


def metrics(out):
    return json.loads((out / 'mot_metrics.json').read_text())['metrics']


def assert_same_run(out, whole):
    """The result files and the metrics of ``out`` are those of the uninterrupted run in ``whole``."""
    for seq in SEQS:
        name = seq + '.txt'
        assert (out / 'mot_results' / name).read_bytes() == (whole / 'mot_results' / name).read_bytes()
    assert metrics(out) == metrics(whole)


@pytest.fixture(scope='session')
def uninterrupted(tmp_path_factory):
    """The output folder of the motion-only run on SEQS, uninterrupted: what a stopped and resumed run must equal."""
    folder = tmp_path_factory.mktemp('uninterrupted')
    whole = folder / 'whole'
    run_tool(*motion_only_eval(detections(folder), whole))
    return whole
