"""Metrics: the published py-motmetrics values for TUD, and the MOTChallenge ground-truth conventions."""

import os

import numpy as np
import pytest
from conftest import DATA, MOT17

from ppdet_deepsort.engine import read_mot_results
from ppdet_deepsort.metrics import GroundTruth, evaluate_sequence, summarize

TUD = os.path.join(DATA, 'TUD')

# tests/data/TUD/EXPECTED_METRICS.md: py-motmetrics' own test, test.txt vs gt.txt at IoU >= 0.5.
EXPECTED = {
    'TUD-Campus': dict(idf1=0.557659, idp=0.729730, idr=0.451253, recall=0.582173, precision=0.941441,
                       num_unique_objects=8, mostly_tracked=1, partially_tracked=6, mostly_lost=1,
                       num_false_positives=13, num_misses=150, num_switches=7, num_fragmentations=7,
                       mota=0.526462, motp=0.277201),
    'TUD-Stadtmitte': dict(idf1=0.644619, idp=0.819760, idr=0.531142, recall=0.608997, precision=0.939920,
                           num_unique_objects=10, mostly_tracked=5, partially_tracked=4, mostly_lost=1,
                           num_false_positives=45, num_misses=452, num_switches=7, num_fragmentations=6,
                           mota=0.564014, motp=0.345904),
    'OVERALL': dict(idf1=0.624296, idp=0.799176, idr=0.512211, recall=0.602640, precision=0.940268,
                    num_unique_objects=18, mostly_tracked=6, partially_tracked=10, mostly_lost=2,
                    num_false_positives=58, num_misses=602, num_switches=14, num_fragmentations=13,
                    mota=0.555116, motp=0.330177),
}


def test_reproduces_py_motmetrics_on_tud():
    accs, names = [], []
    for seq, length in (('TUD-Campus', 71), ('TUD-Stadtmitte', 179)):
        gt = GroundTruth(os.path.join(TUD, seq, 'gt', 'gt.txt'))
        assert gt.layout == 'MOT15'
        accs.append(evaluate_sequence(gt, read_mot_results(os.path.join(TUD, seq, 'test.txt')), range(1, length + 1)))
        names.append(seq)
    summary = summarize(accs, names)
    for name, metrics in EXPECTED.items():
        for metric, value in metrics.items():
            assert summary.loc[name, metric] == pytest.approx(value, abs=1e-6), (name, metric)


def gt_rows(seq):
    return np.loadtxt(os.path.join(MOT17, seq, 'gt', 'gt.txt'), delimiter=',')


def results_from(*groups):
    """Tracker output made of gt rows; each group's ids shifted by its offset."""
    out = {}
    for rows, offset in groups:
        for f in np.unique(rows[:, 0]).astype(int):
            r = rows[rows[:, 0] == f]
            ids, tlwh = out.get(f, (np.zeros(0, int), np.zeros((0, 4))))
            out[f] = (np.r_[ids, r[:, 1].astype(int) + offset], np.r_[tlwh, r[:, 2:6]])
    return out


def test_mot17_distractors_removed_and_empty_frames_count():
    """Tracker boxes on distractors (classes 2/7/8/12) are dropped before scoring; frames where the tracker
    reported nothing still count their targets as misses."""
    seq = 'MOT17-09-FRCNN'
    rows = gt_rows(seq)
    gt = GroundTruth(os.path.join(MOT17, seq, 'gt', 'gt.txt'))
    assert gt.layout == 'MOT16'
    targets = rows[(rows[:, 6] != 0) & (rows[:, 7] == 1)]
    distractors = rows[np.isin(rows[:, 7], [2, 7, 8, 12])]
    others = rows[~np.isin(rows[:, 7], [1, 2, 7, 8, 12])]
    assert len(distractors) and len(targets)
    frames = range(1, 5)

    on_distractors = summarize([evaluate_sequence(gt, results_from((targets, 0), (distractors, 1000)), frames)], ['s'])
    assert on_distractors.loc['s', 'num_false_positives'] == 0
    assert on_distractors.loc['s', 'num_misses'] == 0 and on_distractors.loc['s', 'mota'] == 1.0
    # boxes on other objects (here occluders, class 9) are false positives
    on_others = summarize([evaluate_sequence(gt, results_from((targets, 0), (others, 1000)), frames)], ['s'])
    assert on_others.loc['s', 'num_false_positives'] == len(others) > 0

    first_two = {f: v for f, v in results_from((targets, 0)).items() if f <= 2}
    partial = summarize([evaluate_sequence(gt, first_two, frames)], ['s'])
    assert partial.loc['s', 'num_misses'] == (targets[:, 0] > 2).sum() > 0


def test_zero_marked_pedestrians_are_not_targets(tmp_path):
    rows = gt_rows('MOT17-09-FRCNN')
    people = rows[(rows[:, 6] != 0) & (rows[:, 7] == 1)]
    ignored_id = people[0, 1]
    rows[rows[:, 1] == ignored_id, 6] = 0  # as MOT gt marks people to ignore
    path = str(tmp_path / 'gt.txt')
    np.savetxt(path, rows, delimiter=',', fmt='%g')
    gt = GroundTruth(path)
    summary = summarize([evaluate_sequence(gt, results_from((people, 0)), range(1, 5))], ['s'])
    n_ignored = (people[:, 1] == ignored_id).sum()
    assert summary.loc['s', 'num_false_positives'] == n_ignored > 0
    assert summary.loc['s', 'num_misses'] == 0


def test_mot15_ground_truth_has_no_classes(tmp_path):
    gt = GroundTruth(os.path.join(TUD, 'TUD-Campus', 'gt', 'gt.txt'))
    ids, tlwh, all_tlwh, distractor = gt.in_frame(1)
    assert len(ids) == len(all_tlwh) > 0 and not distractor.any()
