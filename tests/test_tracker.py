"""FastDeepSORTTracker: parity with ppdet's built-in DeepSORTTracker on real detection streams, its own
(correct) box handling, motion-only tracking, and config validation."""

import inspect
import os

import numpy as np
import pytest
from conftest import MOT17, REPO, box_embeddings, det_stream, track
from ppdet.core.workspace import global_config
from ppdet.modeling.mot.tracker import DeepSORTTracker

from ppdet_deepsort.errors import ConfigError
from ppdet_deepsort.tracker import FastDeepSORTTracker


def first_difference(a, b):
    return next((i + 1 for i, (fa, fb) in enumerate(zip(a, b)) if fa != fb), None)


@pytest.mark.parametrize('metric', ['cosine', 'euclidean'])
def test_same_tracks_as_ppdet_on_pets09(pets_stream, metric):
    # euclidean: squared distances of these features span 0..~2*dim; 20 keeps some appearance matches
    threshold = 0.2 if metric == 'cosine' else 20.
    builtin = track(DeepSORTTracker(metric_type=metric, matching_threshold=threshold), pets_stream)
    plugin = track(FastDeepSORTTracker(metric_type=metric, matching_threshold=threshold, ppdet_compat=True),
                 pets_stream)
    assert len(builtin) == 795
    assert sum(map(len, builtin)) > 3000  # the stream really is tracked
    assert first_difference(builtin, plugin) is None  # ids and boxes, bit for bit, all 795 frames


@pytest.mark.parametrize('seq', ['MOT17-04-FRCNN', 'MOT17-05-FRCNN'])
def test_same_tracks_as_ppdet_on_mot17(seq):
    stream = det_stream(os.path.join(MOT17, seq, 'det', 'det.txt'))
    builtin = track(DeepSORTTracker(), stream)
    plugin = track(FastDeepSORTTracker(ppdet_compat=True), stream)
    assert sum(map(len, builtin)) > 1000
    assert first_difference(builtin, plugin) is None


def test_default_keeps_detection_geometry_compat_adds_a_pixel(pets_stream):
    pred_dets, tlwh = pets_stream[0]
    for compat, grow in ((False, 0.), (True, 1.)):
        tracker = FastDeepSORTTracker(ppdet_compat=compat)
        tracker.predict()
        tracker.update(pred_dets, box_embeddings(tlwh))
        got = np.array([t.to_tlwh() for t in tracker.tracks])  # all tracks, tentative ones included
        np.testing.assert_allclose(got, tlwh + [0, 0, grow, grow], rtol=1e-6)


def test_motion_only_tracks_without_embeddings(pets_stream):
    with pytest.raises(TypeError):  # ppdet's built-in cannot run without embeddings
        track(DeepSORTTracker(), pets_stream[:3], with_embeddings=False)
    out = track(FastDeepSORTTracker(), pets_stream, with_embeddings=False)
    ids = {i for frame in out for i, _ in frame}
    assert sum(map(len, out)) > 3500 and 10 < len(ids) < 80


def test_empty_frames_age_tracks(pets_stream):
    tracker = FastDeepSORTTracker(max_age=5)
    for pred_dets, tlwh in pets_stream[:10]:
        tracker.predict()
        tracker.update(pred_dets, box_embeddings(tlwh))
    assert tracker.tracks.confirmed().sum() >= 3
    for _ in range(7):  # frames without detections: confirmed tracks are lost after max_age
        tracker.predict()
        tracker.update(np.zeros((0, 6), np.float32), np.zeros((0, 128), np.float32))
    assert len(tracker.tracks) == 0


def test_embeddings_must_stay_on_or_off(pets_stream):
    tracker = FastDeepSORTTracker()
    pred_dets, tlwh = pets_stream[0]
    tracker.predict()
    tracker.update(pred_dets, box_embeddings(tlwh))
    tracker.predict()
    with pytest.raises(ValueError, match='with embeddings'):
        tracker.update(pred_dets, None)


def test_bad_inputs_are_refused(pets_stream):
    pred_dets, tlwh = pets_stream[0]
    tracker = FastDeepSORTTracker()
    with pytest.raises(ValueError, match='N x 6'):
        tracker.update(pred_dets[:, :4])
    bad = pred_dets.copy()
    bad[1, 3] = np.nan
    with pytest.raises(ValueError, match='rows \\[1\\]'):
        tracker.update(bad)
    with pytest.raises(ValueError, match='N = {}'.format(len(pred_dets))):
        tracker.update(pred_dets, box_embeddings(tlwh)[:-1])
    with pytest.raises(ValueError, match='all zero'):
        tracker.update(pred_dets, np.zeros((len(pred_dets), 8), np.float32))


@pytest.mark.parametrize('key, value, message', [
    ('budget', '100', 'FastDeepSORTTracker.budget: expected int'),
    ('budget', 0, 'FastDeepSORTTracker.budget: expected an int >= 1'),
    ('max_age', True, 'FastDeepSORTTracker.max_age: expected int'),
    ('metric_type', 'cos', 'FastDeepSORTTracker.metric_type'),
    ('input_size', [64], 'FastDeepSORTTracker.input_size'),
    ('input_size', [64, '192'], 'FastDeepSORTTracker.input_size: expected List\\[int\\]'),
    ('max_iou_distance', 1.5, 'FastDeepSORTTracker.max_iou_distance'),
    ('matching_threshold', None, 'FastDeepSORTTracker.matching_threshold: expected float'),
])
def test_config_errors_name_the_key(key, value, message):
    with pytest.raises(ConfigError, match=message):
        FastDeepSORTTracker(**{key: value})


def test_registered_beside_ppdet_builtins():
    from ppdet.core.workspace import create

    from ppdet_deepsort.tracker.options import PPDET_KEYS
    assert global_config['FastDeepSORTTracker'].pymodule.__name__ == 'ppdet_deepsort.adapter.tracker'
    assert global_config['DeepSORTTracker'].pymodule.__name__ == 'ppdet.modeling.mot.tracker.deepsort_tracker'
    # ppdet's engine dispatches on isinstance(tracker, DeepSORTTracker); the core's tracker needs no ppdet
    registered = create('FastDeepSORTTracker')
    assert isinstance(registered, DeepSORTTracker) and isinstance(registered, FastDeepSORTTracker)
    assert not isinstance(FastDeepSORTTracker(), DeepSORTTracker)
    # the keys ppdet_compat keeps at ppdet's defaults are ppdet's own, in its order
    assert tuple(inspect.signature(DeepSORTTracker).parameters) == PPDET_KEYS
    assert list(global_config['FastDeepSORTTracker'].schema)[:len(PPDET_KEYS) + 1] == list(PPDET_KEYS) + [
        'ppdet_compat']
    assert global_config['FastDeepSORTTracker'].schema['budget'].default == 100


def test_base_config_sets_every_key():
    """The base tracker block lists every key: ppdet's config is one global dict, so a key a config leaves out
    keeps whatever the config loaded before it set."""
    import inspect

    import yaml
    block = yaml.safe_load(open(os.path.join(REPO, 'configs', 'mot', 'deepsort', '_base_',
                                             'fast_deepsort_tracker.yml')))['FastDeepSORTTracker']
    params = [p for p in inspect.signature(FastDeepSORTTracker).parameters]
    assert sorted(block) == sorted(params)
    assert FastDeepSORTTracker(**{k: v for k, v in block.items() if k != 'input_size'}).budget == block['budget']


def test_the_per_frame_path_tests_no_option():
    """Settings are parts chosen once (stages, Kalman filter, appearance model): the per-frame methods of the
    tracker and of every stage branch on no option (a key of TrackerOptions, or the options object)."""
    import ast
    import inspect
    import textwrap

    from ppdet_deepsort.tracker import association, class_tracker, tracker
    from ppdet_deepsort.tracker.options import TrackerOptions
    keys = set(TrackerOptions.__dataclass_fields__) | {'options'}
    methods = [FastDeepSORTTracker.update, FastDeepSORTTracker.predict, FastDeepSORTTracker._by_class,
               class_tracker.ClassTracker.update, class_tracker.ClassTracker.predict, tracker.Tracker.update,
               tracker.Tracker.predict]
    methods += [cls.__call__ for _, cls in inspect.getmembers(association, inspect.isclass)
                if cls.__module__ == association.__name__ and '__call__' in vars(cls)]
    assert len(methods) > 8
    branches = []
    for method in methods:
        tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
        for node in ast.walk(tree):
            if isinstance(node, (ast.If, ast.IfExp, ast.While, ast.BoolOp)):
                test = node if isinstance(node, ast.BoolOp) else node.test
                names = {n.attr for n in ast.walk(test) if isinstance(n, ast.Attribute)}
                names |= {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
                if names & keys:
                    branches.append('{}: {}'.format(method.__qualname__, ast.unparse(test)))
    assert branches == []
