"""Metrics: equal to TrackEval (and so to the MOTChallenge devkit) on real trackers' results, the published TUD
values, the MOTChallenge ground-truth conventions, and the ppdet convention equal to ppdet's own evaluator."""

import json
import os

import numpy as np
import pytest
from conftest import DATA, DEV, MOT17, det_stream
from trackeval_oracle import trackeval_scores

from ppdet_deepsort.data import read_mot_results
from ppdet_deepsort.engine.outputs import write_mot_results
from ppdet_deepsort.data import GroundTruth
from ppdet_deepsort.metrics import METRICS, evaluate

TUD = os.path.join(DATA, 'TUD')
MOT17_DEV = os.path.join(DEV, 'MOT17-dev', 'train')
MOT17_SEQS = ['MOT17-02-FRCNN', 'MOT17-04-FRCNN', 'MOT17-05-FRCNN', 'MOT17-09-FRCNN']
PEERS = os.path.join(DEV, 'peers')
STORED = json.load(open(os.path.join(PEERS, 'trackeval_metrics.json')))
STORED_NAMES = {'IDs': 'IDSW', 'FM': 'Frag'}  # the stored file keeps TrackEval's names


def seq_length(folder):
    return int(open(os.path.join(folder, 'seqinfo.ini')).read().split('seqLength=')[1].split()[0])


def mot17_sequences(results_dir, seqs=MOT17_SEQS):
    return [(s, GroundTruth(os.path.join(MOT17_DEV, s, 'gt', 'gt.txt')),
             read_mot_results(os.path.join(results_dir, s + '.txt')),
             range(1, seq_length(os.path.join(MOT17_DEV, s)) + 1))
            for s in seqs]


def assert_same(ours, theirs, tol=1e-9):
    """Every metric of every row (sequences and OVERALL) equal."""
    assert set(ours) == set(theirs)
    for name in ours:
        for metric in METRICS:
            if metric in theirs[name]:
                assert ours[name][metric] == pytest.approx(theirs[name][metric], abs=tol), (name, metric)


def stored(group, tracker):
    rows = next(v for k, v in STORED.items() if k.startswith(group))[tracker]
    return {('OVERALL' if seq == 'COMBINED' else seq): {m: row[STORED_NAMES.get(m, m)] for m in METRICS
                                                         if STORED_NAMES.get(m, m) in row}
            for seq, row in rows.items()}


@pytest.mark.parametrize('tracker', ['sort', 'bytetrack', 'ocsort'])
def test_mot17_equal_to_trackeval(tracker):
    """MOT17 mode (distractors removed, zero-marked and non-pedestrian rows dropped), per sequence and combined."""
    results_dir = os.path.join(PEERS, 'MOT17-dev', tracker)
    ours = evaluate(mot17_sequences(results_dir)).rows
    assert_same(ours, stored('MOT17-dev', tracker))
    live = trackeval_scores(MOT17_DEV, results_dir, {s: seq_length(os.path.join(MOT17_DEV, s)) for s in MOT17_SEQS},
                            'MOT17')
    assert_same(ours, live)
    assert 0.3 < ours['OVERALL']['HOTA'] < 0.6 and ours['OVERALL']['IDs'] > 0


def test_pets09_mot15_mode_equal_to_trackeval(tmp_path):
    """MOT15 mode (10-column gt, conf-0 rows dropped, nothing removed) on the eight appearance and motion peers."""
    gt = GroundTruth(os.path.join(DEV, 'PETS09-S2L1', 'gt', 'gt.txt'))
    assert gt.layout == 'MOT15' and gt.name == 'PETS09-S2L1'
    # TrackEval needs seqinfo's length to be the evaluated range: frames 1-399.
    layout = tmp_path / 'gt' / 'PETS09-S2L1' / 'gt'
    layout.mkdir(parents=True)
    (layout / 'gt.txt').write_text(open(gt.path).read())
    trackers = sorted(os.listdir(os.path.join(PEERS, 'PETS09-S2L1-0001-0399')))
    assert len(trackers) == 8
    for tracker in trackers:
        results_dir = os.path.join(PEERS, 'PETS09-S2L1-0001-0399', tracker)
        results = read_mot_results(os.path.join(results_dir, 'PETS09-S2L1.txt'))
        ours = evaluate([('PETS09-S2L1', gt, results, range(1, 400))]).rows
        assert_same(ours, stored('PETS09', tracker))
        assert_same(ours, trackeval_scores(tmp_path / 'gt', results_dir, {'PETS09-S2L1': 399}, 'MOT15'))


def test_own_tracker_output_equal_to_trackeval(tmp_path):
    """The plugin's own tracker output (motion only, all public detections) on a whole MOT17 sequence."""
    from ppdet_deepsort.tracker import FastDeepSORTTracker
    seq = 'MOT17-05-FRCNN'
    length = seq_length(os.path.join(MOT17_DEV, seq))
    tracker = FastDeepSORTTracker(max_age=30, max_iou_distance=0.7)
    results = {}
    for frame_id, (pred, _) in enumerate(det_stream(os.path.join(MOT17_DEV, seq, 'det', 'det.txt'), length), 1):
        tracker.predict()
        tracker.update(pred)
        results[frame_id] = tracker.outputs()
    out = tmp_path / 'plugin'
    out.mkdir()
    write_mot_results(str(out / (seq + '.txt')), results)
    ours = evaluate(mot17_sequences(str(out), [seq])).rows
    assert_same(ours, trackeval_scores(MOT17_DEV, str(out), {seq: length}, 'MOT17'))
    assert ours[seq]['TP'] > 1000 and ours[seq]['IDs'] > 0


# tests/data/TUD/EXPECTED_METRICS.md: py-motmetrics' published values for test.txt vs gt.txt at IoU >= 0.5 (its
# CLEAR and identity numbers are the devkit's on these files) and its HOTA values, which agree with TrackEval.
EXPECTED = {
    'TUD-Campus': dict(IDF1=0.557659, IDP=0.729730, IDR=0.451253, Rcll=0.582173, Prcn=0.941441, GT=8, MT=1, PT=6,
                       ML=1, FP=13, FN=150, IDs=7, FM=7, MOTA=0.526462, HOTA=0.3913974378451139,
                       DetA=0.418047030142763, AssA=0.36912068120832836),
    'TUD-Stadtmitte': dict(IDF1=0.644619, IDP=0.819760, IDR=0.531142, Rcll=0.608997, Prcn=0.939920, GT=10, MT=5,
                           PT=4, ML=1, FP=45, FN=452, IDs=7, FM=6, MOTA=0.564014),
    'OVERALL': dict(IDF1=0.624296, IDP=0.799176, IDR=0.512211, Rcll=0.602640, Prcn=0.940268, GT=18, MT=6, PT=10, ML=2,
                    FP=58, FN=602, IDs=14, FM=13, MOTA=0.555116, HOTA=0.3999570912884786, DetA=0.3976832912424188,
                    AssA=0.4124495298453543),
}


def tud_sequences():
    return [(seq, GroundTruth(os.path.join(TUD, seq, 'gt', 'gt.txt')),
             read_mot_results(os.path.join(TUD, seq, 'test.txt')),
             range(1, length + 1)) for seq, length in (('TUD-Campus', 71), ('TUD-Stadtmitte', 179))]


def test_published_tud_values():
    summary = evaluate(tud_sequences())
    for name, metrics in EXPECTED.items():
        for metric, value in metrics.items():
            assert summary.rows[name][metric] == pytest.approx(value, abs=1e-6), (name, metric)
    # motmetrics' MOTP is the mean 1 - IoU distance (0.277201, 0.345904, 0.330177); the devkit's is the mean IoU.
    assert summary.rows['OVERALL']['MOTP'] == pytest.approx(1 - 0.330177, abs=1e-6)


def test_ppdet_convention_equals_ppdet_evaluator():
    """Same files, ppdet 2.6's MOTEvaluator: every CLEAR and identity number equal, and different from the devkit's."""
    from ppdet.metrics.mot_metrics import MOTEvaluator
    names = {'mota': 'MOTA', 'motp': 'MOTP', 'idf1': 'IDF1', 'idp': 'IDP', 'idr': 'IDR', 'recall': 'Rcll',
             'precision': 'Prcn', 'num_unique_objects': 'GT', 'mostly_tracked': 'MT', 'partially_tracked': 'PT',
             'mostly_lost': 'ML', 'num_false_positives': 'FP', 'num_misses': 'FN', 'num_switches': 'IDs',
             'num_fragmentations': 'FM'}
    results_dir = os.path.join(PEERS, 'MOT17-dev', 'bytetrack')
    accs = [MOTEvaluator(MOT17_DEV, s, 'mot').eval_file(os.path.join(results_dir, s + '.txt')) for s in MOT17_SEQS]
    theirs = MOTEvaluator.get_summary(accs, MOT17_SEQS, list(names))
    ours = evaluate(mot17_sequences(results_dir), 'ppdet')
    assert ours.convention == 'ppdet'
    for name in MOT17_SEQS + ['OVERALL']:
        for theirs_name, our_name in names.items():
            assert ours.rows[name][our_name] == pytest.approx(theirs.loc[name, theirs_name], abs=1e-12), \
                (name, our_name)
    devkit = evaluate(mot17_sequences(results_dir)).rows['OVERALL']
    assert devkit['FN'] != ours.rows['OVERALL']['FN'] and 0 < ours.rows['OVERALL']['HOTA'] < 1


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


def score(gt, results, frames, convention='motchallenge'):
    return evaluate([('s', gt, results, frames)], convention).rows['s']


def test_mot17_distractors_removed_and_empty_frames_count():
    """Tracker boxes on distractors (classes 2/7/8/12) are dropped before scoring; frames where the tracker
    reported nothing still count their targets as misses (and do not under the ppdet convention)."""
    seq = 'MOT17-09-FRCNN'
    rows = gt_rows(seq)
    gt = GroundTruth(os.path.join(MOT17, seq, 'gt', 'gt.txt'))
    assert gt.layout == 'MOT16'
    targets = rows[(rows[:, 6] != 0) & (rows[:, 7] == 1)]
    distractors = rows[np.isin(rows[:, 7], [2, 7, 8, 12])]
    others = rows[~np.isin(rows[:, 7], [1, 2, 7, 8, 12])]
    assert len(distractors) and len(targets)
    frames = range(1, 5)

    on_distractors = score(gt, results_from((targets, 0), (distractors, 1000)), frames)
    assert on_distractors['FP'] == 0 and on_distractors['FN'] == 0 and on_distractors['MOTA'] == 1.0
    assert on_distractors['HOTA'] == pytest.approx(1.0) and on_distractors['IDF1'] == 1.0
    # boxes on other objects (here occluders, class 9) are false positives
    assert score(gt, results_from((targets, 0), (others, 1000)), frames)['FP'] == len(others) > 0

    first_two = {f: v for f, v in results_from((targets, 0)).items() if f <= 2}
    assert score(gt, first_two, frames)['FN'] == (targets[:, 0] > 2).sum() > 0
    assert score(gt, first_two, frames, 'ppdet')['FN'] == 0


def test_zero_marked_pedestrians_are_not_targets(tmp_path):
    rows = gt_rows('MOT17-09-FRCNN')
    people = rows[(rows[:, 6] != 0) & (rows[:, 7] == 1)]
    ignored_id = people[0, 1]
    rows[rows[:, 1] == ignored_id, 6] = 0  # as MOT gt marks people to ignore
    path = str(tmp_path / 'gt.txt')
    np.savetxt(path, rows, delimiter=',', fmt='%g')
    metrics = score(GroundTruth(path), results_from((people, 0)), range(1, 5))
    n_ignored = (people[:, 1] == ignored_id).sum()
    assert metrics['FP'] == n_ignored > 0 and metrics['FN'] == 0


def test_id_switch_is_counted_once_and_splits_association():
    """One target whose tracker id changes half way: one ID switch, AssA and IDF1 about a half."""
    gt = GroundTruth(os.path.join(MOT17, 'MOT17-09-FRCNN', 'gt', 'gt.txt'))
    person = gt_rows('MOT17-09-FRCNN')
    person = person[(person[:, 6] != 0) & (person[:, 7] == 1)]
    person = person[person[:, 1] == person[0, 1]]
    assert len(person) == 4
    results = {int(r[0]): (np.array([1 if r[0] <= 2 else 2]), r[None, 2:6]) for r in person}
    metrics = score(gt, results, range(1, 5))
    assert metrics['IDs'] == 1 and metrics['TP'] == 4 and metrics['IDTP'] == 2
    assert metrics['AssA'] == pytest.approx(0.5)


def test_result_file_checks(tmp_path):
    from ppdet_deepsort.errors import MOTFileError
    path = tmp_path / 'r.txt'
    path.write_text('1,1,10,10,5,5,1,-1,-1,-1\n1,2,30,30,5,5,1,-1,-1,-1\n2,1,11,10,5,5,1,-1,-1,-1\n'
                    '2,1,40,40,5,5,1,-1,-1,-1\n')
    with pytest.raises(MOTFileError, match=r'r.txt:4: id 1 appears twice in frame 2'):
        read_mot_results(str(path))
    path.write_text('0,1,10,10,5,5,1,-1,-1,-1\n')
    with pytest.raises(MOTFileError, match=r'r.txt:1: frame must be an integer >= 1'):
        read_mot_results(str(path))
    path.write_text('\ufeff1,1,10,10,5,5,1,-1,-1,-1\r\n1,2,30,30,5,5,0.5,-1,-1,-1\r\n')  # BOM, CRLF: as Windows writes
    ids, tlwh, scores = read_mot_results(str(path))[1]
    assert ids.tolist() == [1, 2] and scores.tolist() == [1, 0.5]
