"""The comparison that decides whether a faster runtime's detector boxes may stand for paddle fp32's (the runtime's
first-call check) and that the detector benchmark reports: it must judge boxes without area by where they are, since
the IoU of such a box is 0 even with itself."""

import numpy as np

from ppdet_deepsort.inference.detector import _close_boxes, compare_boxes

BOXES = np.array([[0, 0.9, 10, 20, 50, 120],
                  [0, 0.05, 300, 40, 300, 90],  # no width: NMS keeps such boxes at low scores
                  [0, 0.04, 0, 0, 0, 0]], np.float32)


def test_identical_outputs_with_empty_boxes_agree():
    same = compare_boxes(BOXES[::-1], BOXES)
    assert same['same_count'] and same['min_iou'] == 1. and same['max_abs_box_diff_px'] == 0.
    agree, why = _close_boxes([BOXES, [len(BOXES)]], [BOXES, [len(BOXES)]], 0.)
    assert agree, why


def test_an_empty_box_that_moved_does_not_agree():
    moved = BOXES.copy()
    moved[1, 2:] += [3, 0, 3, 0]
    assert compare_boxes(moved, BOXES)['min_iou'] == 0.
    agree, why = _close_boxes([moved, [len(moved)]], [BOXES, [len(BOXES)]], 0.)
    assert not agree and 'min IoU 0.000' in why
    # above the score threshold only the box with an area is compared
    assert _close_boxes([moved, [len(moved)]], [BOXES, [len(BOXES)]], 0.3)[0]
