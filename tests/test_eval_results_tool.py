"""tools/eval_mot_results.py as a user runs it on another tracker's result files."""

import json
import os
import shutil

import pytest
from conftest import DEV, run_tool

from ppdet_deepsort.metrics import METRICS

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

MOT17_DEV = os.path.join(DEV, 'MOT17-dev', 'train')
OCSORT = os.path.join(DEV, 'peers', 'MOT17-dev', 'ocsort')
STORED = json.load(open(os.path.join(DEV, 'peers', 'trackeval_metrics.json')))


def test_scores_a_peer_as_trackeval_does(tmp_path):
    out = tmp_path / 'out'
    proc = run_tool('tools/eval_mot_results.py', '--gt_dir', MOT17_DEV, '--results_dir', OCSORT,
                    '--output_dir', str(out))
    doc = json.loads((out / 'mot_metrics.json').read_text())
    assert doc['convention'] == 'motchallenge'
    assert list(doc['metrics']) == sorted(os.listdir(MOT17_DEV)) + ['OVERALL']
    reference = next(v for k, v in STORED.items() if k.startswith('MOT17-dev'))['ocsort']['COMBINED']
    overall = doc['metrics']['OVERALL']
    assert list(overall) == METRICS
    for ours, theirs in (('HOTA', 'HOTA'), ('MOTA', 'MOTA'), ('IDF1', 'IDF1'), ('IDs', 'IDSW'), ('FP', 'FP'),
                         ('FN', 'FN'), ('MT', 'MT'), ('FM', 'Frag'), ('AssA', 'AssA'), ('LocA', 'LocA')):
        assert abs(overall[ours] - reference[theirs]) < 1e-9, ours
    assert len(doc['alpha']) == 19 and len(doc['hota_curves']['OVERALL']['HOTA']) == 19
    assert 'OVERALL ' in proc.stdout and '{:.1f}%'.format(100 * overall['HOTA']) in proc.stdout
    assert (out / 'mot_metrics.csv').read_text().count('\n') == 6
    assert (out / 'hota_alpha.png').stat().st_size > 10000


def test_missing_results_are_scored_empty_and_bad_lines_named(tmp_path):
    res = tmp_path / 'res'
    res.mkdir()
    shutil.copy(os.path.join(OCSORT, 'MOT17-09-FRCNN.txt'), res)
    out = tmp_path / 'out'
    proc = run_tool('tools/eval_mot_results.py', '--gt_dir', MOT17_DEV, '--results_dir', str(res), '--seqs',
                    'MOT17-05-FRCNN', 'MOT17-09-FRCNN', '--output_dir', str(out), '--convention', 'ppdet')
    assert 'MOT17-05-FRCNN: no result file' in proc.stdout
    doc = json.loads((out / 'mot_metrics.json').read_text())
    assert doc['convention'] == 'ppdet' and 'ppdet convention' in proc.stdout
    # ppdet's evaluator walks only frames with results: a sequence without any has nothing to score
    assert doc['metrics']['MOT17-05-FRCNN']['FN'] == 0 and doc['metrics']['MOT17-09-FRCNN']['TP'] > 1000

    motchallenge = run_tool('tools/eval_mot_results.py', '--gt_dir', MOT17_DEV, '--results_dir', str(res), '--seqs',
                            'MOT17-05-FRCNN', '--output_dir', str(out))
    empty = json.loads((out / 'mot_metrics.json').read_text())['metrics']['MOT17-05-FRCNN']
    assert empty['TP'] == 0 and empty['FN'] > 5000 and empty['HOTA'] == 0 and 'no result file' in motchallenge.stdout

    lines = open(os.path.join(OCSORT, 'MOT17-09-FRCNN.txt')).read().splitlines()
    lines[99] = lines[99].replace(',', ';', 1)
    (res / 'MOT17-09-FRCNN.txt').write_text('\n'.join(lines) + '\n')
    bad = run_tool('tools/eval_mot_results.py', '--gt_dir', MOT17_DEV, '--results_dir', str(res), '--seqs',
                   'MOT17-09-FRCNN', '--output_dir', str(out), check=False)
    assert bad.returncode == 1 and 'Traceback' not in bad.stdout
    assert '{}:100: 9 columns where the lines above have 10'.format(res / 'MOT17-09-FRCNN.txt') in bad.stdout

    lines[99] = '9999' + lines[99][lines[99].index(';'):].replace(';', ',', 1)
    (res / 'MOT17-09-FRCNN.txt').write_text('\n'.join(lines) + '\n')
    beyond = run_tool('tools/eval_mot_results.py', '--gt_dir', MOT17_DEV, '--results_dir', str(res), '--seqs',
                      'MOT17-09-FRCNN', '--output_dir', str(out), check=False)
    assert beyond.returncode == 1 and 'rows for frame 9999, beyond seqLength=525' in beyond.stdout


def test_gt_frames_of_seqinfo_are_honoured(tmp_path):
    """PETS09-S2L1's ground truth covers frames 1-399 (gtFrames=1-399) of 795: results after 399 do not count."""
    res = tmp_path / 'res'
    res.mkdir()
    peer = os.path.join(DEV, 'peers', 'PETS09-S2L1-0001-0399', 'nwojke_deepsort', 'PETS09-S2L1.txt')
    lines = open(peer).read().splitlines()
    extra = ['{},{}'.format(int(line.split(',')[0]) + 399, line.split(',', 1)[1]) for line in lines]
    (res / 'PETS09-S2L1.txt').write_text('\n'.join(lines + extra) + '\n')  # frames 400-798 are beyond gt
    out = tmp_path / 'out'
    proc = run_tool('tools/eval_mot_results.py', '--gt_dir', DEV, '--results_dir', str(res), '--seqs', 'PETS09-S2L1',
                    '--output_dir', str(out), check=False)
    assert proc.returncode == 1 and 'beyond seqLength=795' in proc.stdout  # 796-798 do not exist at all
    (res / 'PETS09-S2L1.txt').write_text('\n'.join(lines + [e for e in extra if int(e.split(',')[0]) <= 795]) + '\n')
    proc = run_tool('tools/eval_mot_results.py', '--gt_dir', DEV, '--results_dir', str(res), '--seqs', 'PETS09-S2L1',
                    '--output_dir', str(out))
    assert 'frames 1-399 (seqinfo.ini gtFrames)' in proc.stdout
    row = json.loads((out / 'mot_metrics.json').read_text())['metrics']['PETS09-S2L1']
    reference = next(v for k, v in STORED.items() if k.startswith('PETS09'))['nwojke_deepsort']['PETS09-S2L1']
    assert row['Frames'] == 399 and abs(row['HOTA'] - reference['HOTA']) < 1e-12 and row['FP'] == reference['FP']
