"""tools/tune_tracker.py on two dev sequences: embeddings or detections read once, trials scored by the tracker
alone, the choice reported with its leave-one-sequence-out score, a loadable YAML that the evaluation tool scores as
the tuner did."""

import csv
import json
import os

import pytest
from conftest import DEV, run_tool

from ppdet_deepsort.engine.tuning import choose, leave_one_out, trials

pytestmark = pytest.mark.slow  # starts tool processes

MOT17_DEV = os.path.join(DEV, 'MOT17-dev')
SEQS = ['MOT17-05-FRCNN', 'MOT17-09-FRCNN']


def test_choice_rules_and_trials():
    scores = [{'a': .5, 'b': .5, 'c': .4}, {'a': 1., 'b': 1., 'c': .3}, {'a': .85, 'b': .85, 'c': .5}]
    assert choose(scores, 'abc', 'mean') == 1  # means .47, .77, .73
    assert choose(scores, 'abc', 'worst') == 2  # worst shortfalls from the best on each: .5, .2 (on c), .15
    assert leave_one_out(scores, 'abc')['c'] == {'trial': 1, 'score': .3, 'config_score': .4}
    grid = trials({'x': [1, 2], 'y': [3]}, {'x': 2, 'y': 3, 'z': 0}, valid=lambda s: s['x'] != 1)
    assert grid == [{'x': 2, 'y': 3, 'z': 0}]  # the config first; the invalid setting left out
    assert len(trials({'x': list(range(10))}, {'x': 0}, limit=4)) == 4


DATASET = ['EvalMOTDataset.dataset_dir={}'.format(MOT17_DEV), 'EvalMOTDataset.data_root=train',
           'EvalMOTDataset.seqs=[{}]'.format(','.join(SEQS))]
POOR = ['FastDeepSORTTracker.max_age=3', 'FastDeepSORTTracker.n_init=6']  # a user's config, keys badly set


def linked_dets(tmp_path):
    dets = tmp_path / 'dets'
    dets.mkdir()
    for seq in SEQS:
        (dets / (seq + '.txt')).symlink_to(os.path.join(MOT17_DEV, 'train', seq, 'det', 'det.txt'))
    return dets


def test_the_tuner_finds_better_keys_than_a_poor_config_and_writes_a_loadable_config(tmp_path):
    dets = linked_dets(tmp_path)
    dataset, poor = DATASET, POOR
    out = tmp_path / 'tune'
    proc = run_tool('tools/tune_tracker.py', '-c', 'configs/mot/deepsort/deepsort_motion_only.yml', '--det_results_dir',
                    str(dets), '--space', 'max_age=3,70', 'n_init=3,6', '--output_dir', str(out), '--workers', '2',
                    '-o', *dataset, *poor)
    report = json.loads((out / 'tuning.json').read_text())
    assert report['trials'] == 4 and report['sequences'] == SEQS
    assert report['chosen']['keys'] == {'max_age': 70, 'n_init': 3}
    for seq, row in report['leave_one_sequence_out'].items():  # chosen on the other sequence alone
        assert row['score'] > row['config_score'] + 0.01, seq
    assert 'fitting_gap' in report and 'Chosen (worst of 4 trials' in proc.stdout
    rows = list(csv.DictReader(open(out / 'trials.csv')))
    assert len(rows) == 4 and rows[0]['max_age'] == '3' and rows[0]['n_init'] == '6'  # the config's first
    assert (out / 'trials.png').stat().st_size > 10000
    # The tuned config, as a user runs it (with the same poor overrides below it): the tuner's scores.
    tuned = tmp_path / 'tuned.yml'
    tuned.write_text((out / 'tuned.yml').read_text())
    evaluated = tmp_path / 'eval'
    run_tool('tools/eval_mot.py', '-c', str(tuned), '--det_results_dir', str(dets), '--output_dir', str(evaluated),
             '-o', *dataset)
    metrics = json.loads((evaluated / 'mot_metrics.json').read_text())['metrics']
    for seq in SEQS:  # the tool scores its files, whose boxes are rounded to 0.01 px
        assert metrics[seq]['HOTA'] == pytest.approx(report['chosen']['scores'][seq], abs=1e-4), seq


def test_optuna_proposes_the_trials(tmp_path):
    """--sampler optuna: the config's setting first, then distinct settings Optuna's sampler proposes from the same
    values, chosen and held out on the table of trials as the grid's are; from the poor config it finds better."""
    dets = linked_dets(tmp_path)
    out = tmp_path / 'tune'
    run_tool('tools/tune_tracker.py', '-c', 'configs/mot/deepsort/deepsort_motion_only.yml', '--det_results_dir',
             str(dets), '--space', 'max_age=3,30,70', 'n_init=1,3,6', '--sampler', 'optuna', '--max_trials', '6',
             '--output_dir', str(out), '--workers', '2', '-o', *DATASET, *POOR)
    report = json.loads((out / 'tuning.json').read_text())
    assert report['sampler'] == 'optuna' and report['trials'] == 6
    rows = list(csv.DictReader(open(out / 'trials.csv')))
    assert (rows[0]['max_age'], rows[0]['n_init']) == ('3', '6')
    assert len({(r['max_age'], r['n_init']) for r in rows}) == 6
    assert report['chosen']['mean'] > report['config_mean'] + 0.01
