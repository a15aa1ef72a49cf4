"""Odd input a new user brings: misspelt -o keys, files with a byte order mark, detections outside the frame, a
frame that decodes only partly. Each gets a clear word, and what works keeps working."""

import os
import shutil

import pytest
import numpy as np
from conftest import DATA, MOT17, run_tool

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

MOTION = 'configs/mot/deepsort/deepsort_motion_only.yml'
SAMPLE = 'configs/mot/deepsort/deepsort_pets09_sample.yml'
TUD = os.path.join(DATA, 'TUD')


def test_override_that_nothing_reads_is_refused_with_the_closest_names(tmp_path):
    cases = [
        (['FastDeepSORTTrackr.max_age=10'], '-o FastDeepSORTTrackr.max_age: no section FastDeepSORTTrackr in this '
                                            'config; did you mean FastDeepSORTTracker'),
        (['reid_weigths=x.pdparams'], '-o reid_weigths: no key reid_weigths in this config; did you mean reid_weights'),
        (['FastDeepSORTTracker.max_agee=3'], '-o FastDeepSORTTracker.max_agee: FastDeepSORTTracker has no such key; '
                                             'did you mean max_age?'),
        (['DeepSORTTracker.max_age=3'], '-o DeepSORTTracker.max_age: this config does not use DeepSORTTracker'),
    ]
    for opts, message in cases:
        proc = run_tool('tools/eval_mot.py', '-c', SAMPLE, '--output_dir', str(tmp_path / 'out'), '-o', *opts,
                        check=False)
        assert proc.returncode == 1 and message in proc.stdout, proc.stdout[-2000:]
        assert 'Traceback' not in proc.stdout and not (tmp_path / 'out' / 'mot_results').exists()
    # known sections and keys, also those only the tools read, still go through
    run_tool('tools/eval_mot.py', '-c', MOTION, '--det_results_dir', os.path.join(TUD, 'det_results'),
             '--output_dir', str(tmp_path / 'ok'), '-o', 'EvalMOTDataset.dataset_dir={}'.format(DATA),
             'EvalMOTDataset.data_root=TUD', 'EvalMOTDataset.seqs=[TUD-Campus]', 'FastDeepSORTTracker.max_age=30',
             'use_gpu=false', 'cpu_threads=1', 'det_score_threshold=0.3')
    assert (tmp_path / 'ok' / 'mot_results' / 'TUD-Campus.txt').exists()


def tud_copy(tmp_path, det_text):
    """TUD-Campus with its real size in seqinfo.ini and the given detection file."""
    seq = tmp_path / 'data' / 'TUD-Campus'
    shutil.copytree(os.path.join(TUD, 'TUD-Campus'), seq)
    (seq / 'seqinfo.ini').write_text('[Sequence]\nname=TUD-Campus\nseqLength=71\nimWidth=640\nimHeight=480\n')
    dets = tmp_path / 'dets'
    dets.mkdir()
    (dets / 'TUD-Campus.txt').write_text(det_text, encoding='utf-8')
    return dets


def track_tud(tmp_path, name, det_text):
    dets = tud_copy(tmp_path / name, det_text)
    out = tmp_path / name / 'out'
    proc = run_tool('tools/eval_mot.py', '-c', MOTION, '--det_results_dir', str(dets), '--output_dir', str(out),
                    '-o', 'EvalMOTDataset.dataset_dir={}'.format(tmp_path / name), 'EvalMOTDataset.data_root=data')
    return proc, (out / 'mot_results' / 'TUD-Campus.txt').read_text()


def test_byte_order_mark_and_off_frame_detections(tmp_path):
    clean = open(os.path.join(TUD, 'det_results', 'TUD-Campus.txt')).read()
    _, expected = track_tud(tmp_path, 'clean', clean)

    # As Windows tools write files: a byte order mark, CRLF line endings.
    proc, tracked = track_tud(tmp_path, 'bom', '\ufeff' + clean.replace('\n', '\r\n'))
    assert tracked == expected and 'not a number' not in proc.stdout

    lines = clean.splitlines()
    odd = ['5,-1,5000,4000,50,120,0.99,-1,-1,-1', '9,-1,1e12,10,50,120,0.99,-1,-1,-1',
           '12,-1,-400,20,300,100,0.99,-1,-1,-1']  # beyond the right/bottom edges, absurdly far, left of the frame
    proc, tracked = track_tud(tmp_path, 'odd', '\n'.join(lines[:30] + odd + lines[30:]) + '\n')
    assert tracked == expected
    assert "3 detections lie wholly outside the 640x480 frame and are dropped (first: line 31: '{}')".format(
        odd[0]) in proc.stdout
    assert proc.stdout.count('wholly outside') == 1


def test_ground_truth_and_results_with_a_byte_order_mark(tmp_path):
    gt_dir = tmp_path / 'gt' / 'TUD-Campus'
    (gt_dir / 'gt').mkdir(parents=True)
    (gt_dir / 'seqinfo.ini').write_text('[Sequence]\nseqLength=71\n')
    (gt_dir / 'gt' / 'gt.txt').write_text('\ufeff' + open(os.path.join(TUD, 'TUD-Campus', 'gt', 'gt.txt')).read())
    res = tmp_path / 'res'
    res.mkdir()
    (res / 'TUD-Campus.txt').write_text('\ufeff' + open(os.path.join(TUD, 'TUD-Campus', 'test.txt')).read())
    proc = run_tool('tools/eval_mot_results.py', '--gt_dir', str(tmp_path / 'gt'), '--results_dir', str(res),
                    '--output_dir', str(tmp_path / 'out'))
    assert 'TUD-Campus ' in proc.stdout and '52.6%' in proc.stdout  # MOTA of the published TUD-Campus values


def test_partly_decoded_frame_is_named(tmp_path):
    seq = 'MOT17-09-FRCNN'
    root = tmp_path / 'data'
    shutil.copytree(os.path.join(MOT17, seq), root / seq, ignore=shutil.ignore_patterns('det'))
    frame = root / seq / 'img1' / '000003.jpg'
    data = frame.read_bytes()
    frame.write_bytes(data[:len(data) // 2])  # cut as a failed copy leaves it
    dets = tmp_path / 'dets'
    dets.mkdir()
    shutil.copy(os.path.join(MOT17, seq, 'det', 'det.txt'), dets / (seq + '.txt'))
    proc = run_tool('tools/eval_mot.py', '-c', 'configs/mot/deepsort/deepsort_osnet_x0_25.yml', '--det_results_dir',
                    str(dets), '--output_dir', str(tmp_path / 'out'), '-o',
                    'EvalMOTDataset.dataset_dir={}'.format(tmp_path), 'EvalMOTDataset.data_root=data')
    assert 'frame 3: {} is truncated (no end-of-image marker): only part of it decoded'.format(frame) in proc.stdout
    assert proc.stdout.count('is truncated') == 1
    table = np.loadtxt(tmp_path / 'out' / 'mot_results' / (seq + '.txt'), delimiter=',', ndmin=2)
    assert set(table[:, 0].astype(int)) <= {1, 2, 3, 4}  # tracked as before, frame 3 included
