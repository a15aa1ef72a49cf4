"""Saved-detection files: the four layouts, ordering and edge cases, and bad input named by file and line."""

import os

import numpy as np
import pytest
from conftest import MOT17, PETS_DET

from ppdet_deepsort.data import load_detections
from ppdet_deepsort.errors import MOTFileError

MOT17_DET = os.path.join(MOT17, 'MOT17-04-FRCNN', 'det', 'det.txt')  # frame,-1,x,y,w,h,score, unsorted


def reference(path):
    """(frame, x, y, w, h, score) rows of a real det file, parsed independently of the loader."""
    table = np.loadtxt(path, delimiter=',')
    return table[:, [0, 2, 3, 4, 5, 6]]


def write(tmp_path, name, rows, fmt):
    path = str(tmp_path / name)
    with open(path, 'w') as f:
        for row in rows:
            f.write(fmt(row) + '\n')
    return path


def as_loaded(dets):
    return np.c_[dets.frame, dets.tlwh, dets.score]


@pytest.mark.parametrize('layout, fmt', [
    ('frame,x,y,w,h,score', lambda r: '{:.0f},{},{},{},{},{}'.format(*r)),
    ('frame,x,y,w,h,score,class_id', lambda r: '{:.0f},{},{},{},{},{},0'.format(*r)),
    ('frame,-1,x,y,w,h,score', lambda r: '{:.0f},-1,{},{},{},{},{}'.format(*r)),
    ('frame,id,x,y,w,h,score,x,y,z (MOTChallenge)', lambda r: '{:.0f},-1,{},{},{},{},{},-1,-1,-1'.format(*r)),
])
def test_every_layout_gives_the_same_detections(tmp_path, layout, fmt):
    rows = reference(PETS_DET)
    dets = load_detections(write(tmp_path, 'PETS09-S2L1.txt', rows, fmt), 795)
    assert dets.layout == layout
    expected = rows[np.argsort(rows[:, 0], kind='stable')]
    np.testing.assert_array_equal(as_loaded(dets), expected)


def test_real_mot17_file_rows_in_any_order():
    dets = load_detections(MOT17_DET, 1050)
    assert dets.layout == 'frame,-1,x,y,w,h,score'
    rows = reference(MOT17_DET)
    assert (np.diff(rows[:, 0]) < 0).any()  # the file really is unsorted
    for frame_id in (1, 69, 1050):
        tlwh, score, _ = dets.in_frame(frame_id)
        want = rows[rows[:, 0] == frame_id]
        assert len(tlwh) == len(want) > 0
        np.testing.assert_array_equal(np.c_[tlwh, score], want[:, 1:])


def test_ppdet_seven_columns_keep_class_ids(tmp_path):
    rows = reference(PETS_DET)[:50]
    path = write(tmp_path, 'a.txt', rows, lambda r: '{:.0f},{},{},{},{},{},{}'.format(*r, int(r[0]) % 3))
    dets = load_detections(path, 795)
    assert dets.layout == 'frame,x,y,w,h,score,class_id'
    np.testing.assert_array_equal(dets.cls_id, rows[:, 0].astype(int) % 3)


def test_frames_without_detections_one_row_and_empty_files(tmp_path):
    rows = reference(PETS_DET)
    sparse = rows[np.isin(rows[:, 0], [2, 5])]
    dets = load_detections(write(tmp_path, 's.txt', sparse, lambda r: '{:.0f},{},{},{},{},{}'.format(*r)), 795)
    assert [len(dets.in_frame(f)[0]) for f in range(1, 7)] == [0, (rows[:, 0] == 2).sum(), 0, 0,
                                                               (rows[:, 0] == 5).sum(), 0]
    one = load_detections(write(tmp_path, 'one.txt', rows[:1], lambda r: '{:.0f},{},{},{},{},{}'.format(*r)), 795)
    assert len(one) == 1 and len(one.in_frame(1)[0]) == 1
    (tmp_path / 'empty.txt').write_text('')
    empty = load_detections(str(tmp_path / 'empty.txt'), 795)
    assert len(empty) == 0 and empty.in_frame(1)[0].shape == (0, 4)


def test_min_score_and_crlf(tmp_path):
    rows = reference(PETS_DET)
    path = str(tmp_path / 'crlf.txt')
    with open(path, 'w', newline='') as f:
        f.write(''.join('{:.0f},{},{},{},{},{}\r\n'.format(*r) for r in rows))
    dets = load_detections(path, 795, min_score=0.9)
    assert len(dets) == (rows[:, 5] >= 0.9).sum() and dets.score.min() >= 0.9


@pytest.mark.parametrize('lines, line_no, message', [
    (['1,10,20,30,60,0.9', '2,10,x,30,60,0.9'], 2, "'x' is not a number"),
    (['1,10,20,30,60', '2,10,20,30,60'], 1, '5 comma-separated columns; expected 6'),
    (['1,10,20,30,60,0.9', '2,10,20,30,60,0.9,1'], 2, '7 columns where the lines above have 6'),
    (['1,10,20,30,60,0.9', '2,10,nan,30,60,0.9'], 2, 'NaN or inf'),
    (['1,10,20,30,60,0.9', '', '3,10,20,inf,60,0.9'], 3, 'NaN or inf'),
    (['1,10,20,0,60,0.9'], 1, 'width and height must be > 0'),
    (['1,10,20,30,-5,0.9'], 1, 'width and height must be > 0'),
    (['1.5,10,20,30,60,0.9'], 1, 'frame must be an integer >= 1'),
    (['0,10,20,30,60,0.9'], 1, 'frame must be an integer >= 1'),
    (['1,10,20,30,60,0.9', '796,10,20,30,60,0.9'], 2, 'frame beyond the sequence \\(795 frames\\)'),
])
def test_bad_rows_name_file_line_and_problem(tmp_path, lines, line_no, message):
    path = tmp_path / 'bad.txt'
    path.write_text('\n'.join(lines) + '\n')
    with pytest.raises(MOTFileError, match='{}:{}: {}'.format(str(path).replace('\\', '\\\\'), line_no, message)):
        load_detections(str(path), 795)


def test_skip_invalid_rows_keeps_the_rest_aligned(tmp_path):
    rows = reference(PETS_DET)[:30]
    lines = ['{:.0f},{},{},{},{},{}'.format(*r) for r in rows]
    lines[3] = '1,10,20,0,60,0.9'
    lines[7] = '2,nan,20,30,60,0.9'
    lines.append('900,10,20,30,60,0.9')
    path = tmp_path / 'bad.txt'
    path.write_text('\n'.join(lines) + '\n')
    dets = load_detections(str(path), 795, skip_invalid_rows=True)
    good = np.delete(rows, [3, 7], axis=0)
    np.testing.assert_array_equal(as_loaded(dets), good[np.argsort(good[:, 0], kind='stable')])


def test_missing_file():
    with pytest.raises(MOTFileError, match='detection file not found: /nonexistent/MOT16-02.txt'):
        load_detections('/nonexistent/MOT16-02.txt', 10)
