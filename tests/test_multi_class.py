"""Multi-class tracking (``per_class``, ``reid_classes``) on real detections given constructed classes: each class is
tracked as it would be alone, a track takes no detection of another class, ReID serves only its classes, and a
single class tracks the same whatever its id. The runs through the tools (ours and PaddleDetection's) are in
test_multi_class_tools.py."""

import numpy as np
import pytest
from conftest import MOT17, PETS_DET, box_embeddings, det_stream

from ppdet_deepsort.errors import ConfigError
from ppdet_deepsort.tracker import FastDeepSORTTracker

MOTION = dict(kalman_state='xywh', motion_gate=False, max_iou_distance=0.7, observation_centric=True,
              camera_motion='detections', high_score_threshold=0.6, low_score_threshold=0.1,
              new_track_threshold=0.7, score_boost=True)  # deepsort_motion_only.yml's way of matching


@pytest.fixture(scope='module')
def pets():
    return det_stream(PETS_DET)[:150]


def with_class(stream, cls):
    return [(np.c_[np.full(len(pred), cls, np.float32), pred[:, 1:]], tlwh) for pred, tlwh in stream]


def doubled(stream, other):
    """Every detection given twice, as class 0 and as class ``other``, at the same box."""
    return [(np.r_[pred, with_class([(pred, tlwh)], other)[0][0]], np.r_[tlwh, tlwh]) for pred, tlwh in stream]


def run(tracker, stream, embeddings=None):
    """Per frame: (ids, tlwh, scores, classes) of the reported tracks; ``embeddings``: pred_dets, tlwh -> N x D."""
    out = []
    for pred, tlwh in stream:
        tracker.predict()
        tracker.update(pred, None if embeddings is None else embeddings(pred, tlwh))
        ids, boxes, scores = tracker.outputs()
        out.append((ids, boxes, scores, tracker.classes_of(ids)))
    return out


def of_class(frame, cls):
    ids, boxes, scores, classes = frame
    keep = classes == cls
    return ids[keep], boxes[keep], scores[keep]


def assert_same_tracks(a, b):
    """The same boxes and scores in every frame, under ids that correspond one to one over the whole run."""
    pairs = set()
    for (ids_a, boxes_a, scores_a), (ids_b, boxes_b, scores_b) in zip(a, b):
        order_a, order_b = np.lexsort(boxes_a.T), np.lexsort(boxes_b.T)
        np.testing.assert_array_equal(boxes_a[order_a], boxes_b[order_b])
        np.testing.assert_array_equal(scores_a[order_a], scores_b[order_b])
        pairs |= set(zip(ids_a[order_a].tolist(), ids_b[order_b].tolist()))
    assert len({a for a, _ in pairs}) == len({b for _, b in pairs}) == len(pairs) > 5


@pytest.mark.parametrize('keys', [MOTION, {}], ids=['motion_only_config', 'deep_sort'])
def test_each_class_is_tracked_as_it_would_be_alone(pets, keys):
    """PETS09's detections, each also given as class 1 at the same box: the people of class 0 and their copies of
    class 1 are tracked as each would be alone, under ids unique across the classes, each track keeping its class."""
    alone = [frame[:3] for frame in run(FastDeepSORTTracker(**keys).in_mode(False), pets)]
    both = run(FastDeepSORTTracker(**keys).in_mode(False), doubled(pets, 1))
    for cls in (0, 1):
        assert_same_tracks([of_class(frame, cls) for frame in both], alone)
    ids = {cls: set(np.concatenate([of_class(frame, cls)[0] for frame in both]).tolist()) for cls in (0, 1)}
    assert ids[0] and ids[1] and not ids[0] & ids[1]


def test_a_track_takes_no_detection_of_another_class():
    """A person's box that becomes a car's (class 2) on its way: per class, the person's track ends and the car
    starts its own, with class 2; tracked together, the person's track goes on."""
    boxes = [np.array([[100. + 6 * k, 200., 40., 100.]]) for k in range(16)]
    stream = [(np.c_[[[0. if k < 8 else 2.]], [[0.9]], box[:, :2], box[:, :2] + box[:, 2:]], box)
              for k, box in enumerate(boxes)]
    apart = run(FastDeepSORTTracker().in_mode(False), stream)
    assert apart[7][0].tolist() == [1] and apart[7][3].tolist() == [0]
    assert apart[-1][0].tolist() == [2] and apart[-1][3].tolist() == [2]
    together = run(FastDeepSORTTracker(per_class=False).in_mode(False), stream)
    assert [frame[0].tolist() for frame in together[2:]] == [[1]] * 14
    assert together[-1][3].tolist() == [0]  # the class of the detection that started it


def test_reid_serves_only_its_classes(pets):
    """reid_classes [0]: class 1's crops are neither asked for nor read (NaN there is fine), class 1 is tracked as on
    motion alone, class 0 as with appearance alone; what is said ahead leaves class 1 out too."""
    def embeddings(pred, tlwh):
        feats = box_embeddings(tlwh)
        feats[pred[:, 0] == 1] = np.nan
        return feats

    tracker = FastDeepSORTTracker(reid_classes=[0]).in_mode(True)
    both = []
    for pred, tlwh in doubled(pets, 1):
        tracker.predict()
        needed = tracker.embedding_needed(pred)
        assert needed.tolist() == (pred[:, 0] == 0).tolist()
        tracker.update(pred, embeddings(pred, tlwh))
        ids, boxes, scores = tracker.outputs()
        both.append((ids, boxes, scores, tracker.classes_of(ids)))
    appearance = run(FastDeepSORTTracker().in_mode(True), pets, lambda pred, tlwh: box_embeddings(tlwh))
    motion = run(FastDeepSORTTracker().in_mode(False), pets)
    assert_same_tracks([of_class(frame, 0) for frame in both], [frame[:3] for frame in appearance])
    assert_same_tracks([of_class(frame, 1) for frame in both], [frame[:3] for frame in motion])
    pred = doubled(pets, 1)[0][0]
    assert tracker.embedding_ahead(pred[:, 1], pred[:, 0]).tolist() == (pred[:, 0] == 0).tolist()


def test_one_class_tracks_the_same_whatever_its_id():
    """MOT17-05's detections as class 0 or as class 7: the same tracks bit for bit, ids included."""
    stream = det_stream(MOT17 + '/MOT17-05-FRCNN/det/det.txt')[:200]
    runs = [run(FastDeepSORTTracker(**MOTION).in_mode(False), with_class(stream, cls)) for cls in (0, 7)]
    for a, b in zip(*runs):
        for column in range(3):
            np.testing.assert_array_equal(a[column], b[column])
        assert set(b[3].tolist()) <= {7}


def test_class_keys_are_checked():
    with pytest.raises(ConfigError, match='reid_classes.*per_class false'):
        FastDeepSORTTracker(per_class=False, reid_classes=[0])
    with pytest.raises(ConfigError, match='reid_classes'):
        FastDeepSORTTracker(reid_classes=[0]).in_mode(False)
    # the classes left out of reid_classes track on motion alone, so its keys are welcome beside embeddings
    FastDeepSORTTracker(reid_classes=[0], motion_gate=False).in_mode(True)
    with pytest.raises(ConfigError, match='motion_gate'):
        FastDeepSORTTracker(motion_gate=False).in_mode(True)
