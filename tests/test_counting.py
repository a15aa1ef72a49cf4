"""Counting tracks across a line and into an area (PP-Tracking's entrance and break-in counting): the rule on
constructed paths, and the tools' counts on a dev sequence against the same rule applied to its ground truth."""

import csv
import json
import os

import numpy as np
import pytest
from conftest import DEV, REPO, run_tool

from ppdet_deepsort.counting import Counter, Line, Polygon
from ppdet_deepsort.data import GroundTruth
from ppdet_deepsort.engine.spec import Counting
from ppdet_deepsort.errors import ConfigError

PETS_VIDEO = os.path.join(DEV, 'PETS09-S2L1', 'PETS09-S2L1.avi')
PETS_DETS = os.path.join(REPO, 'dataset', 'mot', 'PETS09', 'det_results')


def walk(counter, feet_per_frame, height=100., track_id=7, first_frame=1):
    """Feed one track whose feet go through ``feet_per_frame`` (a list of (x, y) or None for frames it is not
    reported)."""
    for k, feet in enumerate(feet_per_frame):
        if feet is None:
            counter.add(first_frame + k, np.zeros(0, int), np.zeros((0, 4)))
            continue
        x, y = feet
        counter.add(first_frame + k, np.array([track_id]), np.array([[x - 20, y - height, 40, height]]))


def line_counter(secs_interval=1.):
    # PP-Tracking's horizontal line at y = 300 in a 800 x 600 frame: in = moving down.
    return Counter({'entrance': Line((0, 300), (800, 300))}, frame_rate=10, secs_interval=secs_interval)


def test_a_crossing_counts_once_by_the_feet():
    counter = line_counter()
    walk(counter, [(400, y) for y in range(200, 420, 20)])  # feet from y 200 to 400: one crossing, down
    assert counter.totals()['entrance'] == {'in': 1, 'out': 0}
    assert [e[2:] for e in counter.events] == [(7, 'entrance', 'in', 0)]
    frame = counter.events[0][0]
    assert 300 + 10 < 200 + 20 * (frame - 1) <= 300 + 10 + 20  # counted where the feet passed the margin (10 px)


def test_counts_are_split_by_class():
    """A person (class 0) and a car (class 2) cross down, the car back up: the totals hold all three crossings, and
    per class who made them."""
    counter = line_counter()
    boxes = {7: [[380, y - 100, 40, 100] for y in range(200, 420, 20)],
             8: [[100, y - 50, 80, 50] for y in list(range(200, 420, 40)) + list(range(400, 180, -40))]}
    for k in range(12):
        ids = [i for i in boxes if k < len(boxes[i])]
        counter.add(k + 1, np.array(ids), np.array([boxes[i][k] for i in ids]), np.array([0 if i == 7 else 2
                                                                                           for i in ids]))
    totals = counter.totals()
    assert totals['entrance'] == {'in': 2, 'out': 1}
    assert totals['by_class'] == {0: {'entrance': {'in': 1, 'out': 0}}, 2: {'entrance': {'in': 1, 'out': 1}}}
    assert [(e[2], e[4], e[5]) for e in counter.events] == [(8, 'in', 2), (7, 'in', 0), (8, 'out', 2)]


def test_jitter_on_the_line_counts_nothing_and_a_return_counts_each_way():
    counter = line_counter()
    jitter = [(400, 300 + d) for d in (-8, 6, -5, 9, -9, 7, 0, -6)]  # within a tenth of the 100 px height
    walk(counter, [(400, 250)] + jitter)
    assert counter.totals()['entrance'] == {'in': 0, 'out': 0}
    # down across, up across again, down again: in, out, in
    walk(counter, [(400, 350), (400, 250), (400, 360)], first_frame=20)
    assert [e[4] for e in counter.events] == ['in', 'out', 'in']


def test_a_track_that_leaves_and_returns_and_one_that_goes_round_the_line():
    segment = Counter({'entrance': Line((300, 300), (500, 300))}, frame_rate=10, secs_interval=1)
    walk(segment, [(400, 250), None, None, (400, 350)])  # unseen for two frames, back below: it crossed
    assert segment.totals()['entrance']['in'] == 1
    walk(segment, [(600, 350), (600, 250), (400, 250)], track_id=8)  # round the segment's end: no crossing
    assert segment.totals()['entrance'] == {'in': 1, 'out': 0}


def test_vertical_line_counts_moving_right_as_in_and_intervals_split_by_seconds():
    counter = Counter({'entrance': Line((400, 600), (400, 0))}, frame_rate=10, secs_interval=1)
    walk(counter, [(x, 300) for x in range(300, 520, 20)], track_id=1)  # right, frames 1-11
    walk(counter, [(x, 300) for x in range(500, 280, -20)], track_id=2, first_frame=12)  # left, frames 12-22
    assert counter.totals() == {'ids': 2, 'entrance': {'in': 1, 'out': 1}, 'by_class': {0: {'entrance': {'in': 1,
                                                                                               'out': 1}}}}
    rows = counter.intervals()
    assert [r['entrance_in'] for r in rows] == [1, 0, 0] and [r['entrance_out'] for r in rows] == [0, 1, 0]
    assert [r['ids'] for r in rows] == [1, 2, 1] and rows[1]['start_s'] == 1.0  # frame 11 is at 1.0 s


def test_an_area_counts_entries_of_tracks_seen_outside():
    area = Counter({'break_in': Polygon([(200, 200), (600, 200), (600, 500), (200, 500)])}, frame_rate=10,
                   secs_interval=1)
    walk(area, [(100, 350), (150, 350), (250, 350), (300, 350)], track_id=1)  # enters
    walk(area, [(400, 350), (450, 350)], track_id=2)  # first seen inside: did not enter
    walk(area, [(400, 150), (400, 195), (400, 205), (400, 190)], track_id=3)  # brushes the edge: margin
    walk(area, [(650, 300), (550, 300), (650, 300), (550, 300)], track_id=4)  # in, out, in: two entries
    assert area.totals()['break_in'] == {'in': 3}
    assert sorted(e[2] for e in area.events) == [1, 4, 4]


def test_counts_are_written_as_json_and_csv(tmp_path):
    counter = line_counter()
    walk(counter, [(400, y) for y in range(200, 420, 20)])
    counter.write(str(tmp_path / 'c.json'), str(tmp_path / 'c.csv'))
    summary = json.loads((tmp_path / 'c.json').read_text())
    assert summary['totals'] == {'ids': 1, 'entrance': {'in': 1, 'out': 0},
                                 'by_class': {'0': {'entrance': {'in': 1, 'out': 0}}}}
    assert summary['events'][0]['event'] == 'in' and summary['regions']['entrance']['kind'] == 'line'
    rows = list(csv.DictReader(open(tmp_path / 'c.csv')))
    assert rows[-1]['interval'] == 'total' and rows[-1]['entrance_in'] == '1'
    assert sum(int(r['entrance_in']) for r in rows[:-1]) == 1


@pytest.mark.parametrize('keys, message', [
    (dict(do_break_in_counting=True, region_polygon=[1, 2, 3, 4]), 'at least three corners'),
    (dict(do_entrance_counting=True, region_type='custom', region_polygon=[1, 2, 3]), 'x, y pairs'),
    (dict(do_entrance_counting=True, region_type='custom', region_polygon=[1, 2, 3, 4, 5, 6]), 'two points'),
    (dict(secs_interval=0), 'seconds > 0'),
    (dict(region_type='diagonal'), 'region_type'),
])
def test_bad_counting_keys_name_the_key(keys, message):
    with pytest.raises(ConfigError, match=message):
        Counting(**keys)


def gt_counts(line, last_frame, frame_rate):
    """The rule applied to PETS09-S2L1's ground truth (frames 1..last_frame): {event: count}."""
    gt = GroundTruth(os.path.join(DEV, 'PETS09-S2L1', 'gt', 'gt.txt'), 'PETS09-S2L1')
    counter = Counter({'entrance': Line(*line)}, frame_rate, 10)
    for frame in range(1, last_frame + 1):
        rows = (gt.frame == frame) & (gt.mark != 0)
        counter.add(frame, gt.track_id[rows].astype(int), gt.tlwh[rows])
    return counter.totals()['entrance']


@pytest.mark.slow
@pytest.mark.parametrize('region_type, line', [('vertical', ((384, 576), (384, 0))),
                                               ('horizontal', ((0, 288), (768, 288)))])
def test_the_tools_count_as_the_ground_truth_does_on_pets09(tmp_path, region_type, line):
    """tools/infer_mot.py with PP-Tracking's flags on the PETS09-S2L1 video (the motion-only config), its crossings
    of frames 1-399 beside those of the ground truth's identities by the same rule; the counts and the annotated
    video are written."""
    out = tmp_path / 'out'
    run_tool('tools/infer_mot.py', '-c', 'configs/mot/deepsort/deepsort_motion_only.yml', '--video_file',
             PETS_VIDEO, '--det_results_dir', PETS_DETS, '--output_dir', str(out), '--do_entrance_counting',
             '--region_type', region_type, '--secs_interval', '5', '--save_videos', '--draw_center_traj')
    summary = json.loads((out / 'mot_counts' / 'PETS09-S2L1.json').read_text())
    assert summary['regions']['entrance']['points'] == [list(map(float, p)) for p in line]
    ours = {event: sum(1 for e in summary['events'] if e['frame'] <= 399 and e['event'] == event)
            for event in ('in', 'out')}
    truth = gt_counts(line, 399, summary['frame_rate'])
    assert sum(truth.values()) >= 14
    for event in ('in', 'out'):
        assert abs(ours[event] - truth[event]) <= 2, (ours, truth)
    rows = list(csv.DictReader(open(out / 'mot_counts' / 'PETS09-S2L1.csv')))
    assert rows[-1]['interval'] == 'total' and int(rows[-1]['entrance_in']) == summary['totals']['entrance']['in']
    assert (out / 'mot_outputs' / 'PETS09-S2L1_vis.mp4').stat().st_size > 0


@pytest.mark.slow
def test_resume_tracks_again_a_sequence_finished_without_the_counts_asked_for(tmp_path):
    """Counts are outputs a finished sequence must have: --resume with counting on tracks again a sequence a run
    without it finished, and keeps one finished with the same counting."""
    tud = os.path.join(REPO, 'tests', 'data')
    args = ['tools/eval_mot.py', '-c', 'configs/mot/deepsort/deepsort_motion_only.yml', '--det_results_dir',
            os.path.join(tud, 'TUD', 'det_results'), '--output_dir', str(tmp_path)]
    dataset = ['-o', 'EvalMOTDataset.dataset_dir={}'.format(tud), 'EvalMOTDataset.data_root=TUD',
               'EvalMOTDataset.seqs=[TUD-Campus]']
    counting = ['--do_break_in_counting', '--region_polygon', '100', '100', '500', '100', '500', '400', '100', '400']
    run_tool(*args, *dataset)
    assert not (tmp_path / 'mot_counts').exists()
    again = run_tool(*args, '--resume', *counting, *dataset).stdout
    assert 'TUD-Campus: tracked again' in again
    summary = json.loads((tmp_path / 'mot_counts' / 'TUD-Campus.json').read_text())
    assert summary['regions']['break_in']['points'] == [[100, 100], [500, 100], [500, 400], [100, 400]]
    kept = run_tool(*args, '--resume', *counting, *dataset).stdout
    assert 'TUD-Campus: resumed' in kept
