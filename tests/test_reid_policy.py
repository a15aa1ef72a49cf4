"""ReID on demand (``reid_policy: on_demand``): which detections the tracker asks embeddings of, on constructed
scenes, and that a caller embedding only those tracks exactly as one embedding every detection (ppdet's engine),
on a real detection stream."""

import numpy as np
import pytest
from conftest import box_embeddings, reported

from ppdet_deepsort.errors import ConfigError
from ppdet_deepsort.tracker import FastDeepSORTTracker

ON_DEMAND = dict(reid_policy='on_demand', reid_refresh=1000, n_init=3)  # no refresh: what the plan alone decides


def dets(*boxes):
    """pred_dets [cls, score, x1, y1, x2, y2] of tlwh boxes."""
    tlwh = np.array(boxes, np.float64).reshape(-1, 4)
    return np.c_[np.zeros(len(tlwh)), np.ones(len(tlwh)), tlwh[:, :2], tlwh[:, :2] + tlwh[:, 2:]]


def step(tracker, pred_dets):
    """One frame as the runner does it: predict, ask, embed only what was asked (zeros elsewhere), update."""
    tracker.predict()
    needed = tracker.embedding_needed(pred_dets)
    tlwh = np.c_[pred_dets[:, 2:4], pred_dets[:, 4:6] - pred_dets[:, 2:4]]
    embeddings = np.where(needed[:, None], box_embeddings(tlwh), 0.).astype(np.float32)
    tracker.update(pred_dets, embeddings)
    return needed


def walker(frame, x0=100., speed=4., y=200.):
    return [x0 + speed * frame, y, 40., 100.]


def test_a_lone_walker_is_embedded_only_until_its_track_is_sure():
    tracker = FastDeepSORTTracker(**ON_DEMAND).in_mode(True)
    asked = [bool(step(tracker, dets(walker(f)))[0]) for f in range(12)]
    # tentative until its n_init-th match; from the next frame on, confirmed and matched the frame before, alone:
    # nothing to decide
    assert asked == [True] * 3 + [False] * 9


def test_a_lone_walker_is_embedded_again_every_reid_refresh_matches():
    tracker = FastDeepSORTTracker(**dict(ON_DEMAND, reid_refresh=3)).in_mode(True)
    asked = [bool(step(tracker, dets(walker(f)))[0]) for f in range(13)]
    assert asked[3:12] == [False, False, True] * 3


def test_two_people_crossing_are_embedded():
    tracker = FastDeepSORTTracker(**ON_DEMAND).in_mode(True)
    asked = []
    for f in range(30):  # towards each other along the same line: their boxes meet around frame 15
        pair = dets(walker(f, x0=100., speed=6.), walker(f, x0=280., speed=-6.))
        asked.append(step(tracker, pair).tolist())
    assert asked[5:9] == [[False, False]] * 4  # far apart, each sure of its own
    assert all(a == [True, True] for a in asked[12:19])  # within each other's gate or overlapping: appearance decides


def test_a_new_detection_near_a_lost_track_is_embedded():
    tracker = FastDeepSORTTracker(**ON_DEMAND).in_mode(True)
    for f in range(8):
        step(tracker, dets(walker(f)))
    for f in range(8, 11):  # occluded: the track is lost, its gate grows
        step(tracker, dets())
    other = [130., 420., 40., 100.]  # a stranger far from anyone, and the walker back where it was headed
    needed = step(tracker, dets(walker(11), other))
    assert needed.tolist() == [True, True]  # the walker's track was not matched in the last frame: not sure


def test_only_the_detections_asked_for_are_read():
    """Whatever a caller puts in the rows it was not asked for (NaN here, ppdet's engine the real embeddings)
    changes nothing: on 200 frames of PETS09 the tracks are the same."""
    from conftest import PETS_DET, det_stream
    stream = det_stream(PETS_DET, 795)[:200]
    runner_like, engine_like = (FastDeepSORTTracker(reid_policy='on_demand', reid_min_iou=0.5, reid_refresh=5,
                                                    appearance='ema').in_mode(True) for _ in range(2))
    skipped = 0
    for pred_dets, tlwh in stream:
        runner_like.predict()
        engine_like.predict()
        needed = runner_like.embedding_needed(pred_dets)
        skipped += int((~needed).sum())
        full = box_embeddings(tlwh)
        a = reported(runner_like.update(pred_dets, np.where(needed[:, None], full, np.nan)))
        b = reported(engine_like.update(pred_dets, full))  # asked nothing before: plans the same on its own
        assert a == b
    assert skipped > 30  # the plan did leave crops out


def test_always_is_deep_sort(pets_stream):
    """reid_policy: always asks for every detection and tracks as before the policy existed (the ppdet parity
    tests run with it)."""
    tracker = FastDeepSORTTracker().in_mode(True)
    for pred_dets, tlwh in pets_stream[:50]:
        tracker.predict()
        assert tracker.embedding_needed(pred_dets).all()
        tracker.update(pred_dets, box_embeddings(tlwh))


def test_policy_keys_need_appearance():
    with pytest.raises(ConfigError, match='FastDeepSORTTracker.reid_policy: on_demand does nothing on motion alone'):
        FastDeepSORTTracker(reid_policy='on_demand').in_mode(False)
    with pytest.raises(ConfigError, match='reid_min_iou'):
        FastDeepSORTTracker(reid_min_iou=0.)
