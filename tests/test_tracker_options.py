"""The tracker's association options beyond DeepSORT, and the offline post-processing, on real detection streams."""

import os
import re

import numpy as np
import pytest
from conftest import DEV, det_stream, track

from ppdet_deepsort.data import read_mot_results
from ppdet_deepsort.engine.interpolation import interpolate_tracks
from ppdet_deepsort.boxes import iou
from ppdet_deepsort.data import GroundTruth
from ppdet_deepsort.metrics import evaluate
from ppdet_deepsort.tracker import FastDeepSORTTracker
from ppdet_deepsort.tracker.ema_appearance import EMAAppearance
from ppdet_deepsort.tracker.kalman_filter import KalmanFilter, NSAKalmanFilter
from ppdet_deepsort.errors import ConfigError

MOT17_05 = os.path.join(DEV, 'MOT17-dev', 'train', 'MOT17-05-FRCNN')


def run(tracker, stream, embeddings=False):
    return track(tracker, stream, with_embeddings=embeddings)


def longest_track(frames):
    ids = [i for frame in frames for i, _ in frame]
    return max(set(ids), key=ids.count)


def test_weak_detections_continue_tracks_but_start_none(pets_stream):
    """ByteTrack's two stages: a person whose detections turn weak for a while keeps the same id through them
    (they are matched after the strong ones); weak detections alone never start a track."""
    plain = run(FastDeepSORTTracker(max_age=30), pets_stream[:120])
    person = longest_track(plain)
    weakened = []
    for k, (pred, tlwh) in enumerate(pets_stream[:120]):
        pred = pred.copy()
        if 44 <= k < 60:  # frames where this person's detections overlap the prediction well
            box = next(np.array(b) for tid, b in plain[k] if tid == person)
            overlap = iou(box[None], tlwh.astype(np.float64))[0]
            assert overlap.max() > 0.5
            pred[overlap.argmax(), 1] = 0.3
        weakened.append((pred, tlwh))
    two_stage = run(FastDeepSORTTracker(max_age=30, high_score_threshold=0.6, low_score_threshold=0.1), weakened)
    dropped = run(FastDeepSORTTracker(max_age=30, high_score_threshold=0.6, low_score_threshold=0.6), weakened)
    frames_with = [k for k in range(44, 60) if any(tid == person for tid, _ in plain[k])]
    assert len(frames_with) == 16
    assert all(any(tid == person for tid, _ in two_stage[k]) for k in frames_with)  # tracked through
    assert not any(any(tid == person for tid, _ in dropped[k]) for k in range(46, 60))  # lost without them

    weak_only = [(np.c_[pred[:, :1], np.full(len(pred), 0.3), pred[:, 2:]].astype(np.float32), tlwh)
                 for pred, tlwh in pets_stream[:30]]
    assert not any(run(FastDeepSORTTracker(high_score_threshold=0.6, low_score_threshold=0.1), weak_only))
    assert not any(run(FastDeepSORTTracker(new_track_threshold=0.5), weak_only))
    assert any(run(FastDeepSORTTracker(), weak_only))


def test_observation_centric_recovery_and_reupdate():
    """A person walking at 6 px a frame slows to 2 px while hidden for 8 frames. The plain filter coasts on at 6
    and meets the new detection 30 px off; OC-SORT's re-update replays the gap along the straight line between
    the two observations, so the state that meets it is where the person is, moving slower. Both keep the id."""
    def box_at(k):
        x = 100 + 6 * k if k < 15 else 100 + 6 * 14 + 2 * (k - 14)
        return None if 15 <= k < 23 else [x, 200, 40, 100]

    priors = {}
    for oc in (False, True):
        tracker = FastDeepSORTTracker(max_age=30, observation_centric=oc)
        seen = set()
        for k in range(40):
            box = box_at(k)
            pred = np.array([[0, 0.9, box[0], box[1], box[0] + box[2], box[1] + box[3]]], np.float32) if box else \
                np.zeros((0, 6), np.float32)
            tracker.predict()
            if k == 23:  # the first frame after the gap: catch the state just before the measurement update
                update = tracker.tracks.update

                def spy(kf, rows, *args, **kwargs):
                    priors[oc] = tracker.tracks.mean[rows[0]].copy()
                    return update(kf, rows, *args, **kwargs)
                tracker.tracks.update = spy
            tracks = tracker.update(pred, None)
            if k == 23:
                del tracker.tracks.update
            seen |= {t.track_id for t in tracks if t.is_confirmed()}
        assert seen == {1}
    centre = box_at(23)[0] + 20
    assert abs(priors[False][0] - centre) > 30 and abs(priors[True][0] - centre) < 5
    assert priors[True][4] < priors[False][4] - 2  # slower


def test_nsa_trusts_confident_detections_more():
    kf, nsa = KalmanFilter(), NSAKalmanFilter()
    mean, cov = kf.initiate(np.array([[100., 200., 0.4, 100.]]))
    mean, cov = kf.predict(mean, cov)
    measurement = np.array([[110., 205., 0.42, 104.]])
    plain = kf.update(mean, cov, measurement, scores=np.array([0.99]))[0][0, :4]  # the plain filter ignores scores
    confident = nsa.update(mean, cov, measurement, scores=np.array([0.99]))[0][0, :4]
    doubtful = nsa.update(mean, cov, measurement, scores=np.array([0.]))[0][0, :4]
    np.testing.assert_allclose(doubtful, plain)
    np.testing.assert_allclose(nsa.gating_distance(mean, cov, measurement), kf.gating_distance(mean, cov, measurement))
    assert np.abs(confident - measurement[0]).sum() < 0.1 * np.abs(plain - measurement[0]).sum()


def _box(x, score=0.9):
    return [0, score, x, 200, x + 60, 300]  # a 60 x 100 person at x


def test_without_the_gate_a_camera_jump_keeps_the_track():
    """A person hidden for two frames comes back moved half its width by the camera: the Mahalanobis gate, the
    filter's idea of how far a person walks, refuses the detection for frames; without it (``motion_gate: false``)
    the overlap decides and the person keeps the id in every frame."""
    reported = {}
    for gate in (True, False):
        tracker = FastDeepSORTTracker(max_age=30, motion_matching_threshold=0.7, kalman_state='xywh',
                                      motion_gate=gate)
        reported[gate] = []
        for k in range(30):
            pred = (np.zeros((0, 6)) if k in (18, 19) else np.array([_box(100 + 2 * k + (30 if k >= 20 else 0))]))
            tracker.predict()
            reported[gate].append([t.track_id for t in tracker.update(pred.astype(np.float32))])
    assert reported[True][20:22] == [[], []] and reported[True][-1] == [1]
    assert reported[False][20:] == [[1]] * 10


def test_velocity_noise_lets_the_velocity_follow_a_pan():
    """A walking person (2 px a frame) whom the camera starts to pan past at 10 px a frame more: after three frames
    of the pan, a four times larger velocity noise has the velocity nearer the new 12 px a frame."""
    velocity = {}
    for noise in (0.00625, 0.025):
        tracker = FastDeepSORTTracker(max_age=30, velocity_noise=noise)
        for k in range(23):
            tracker.predict()
            tracker.update(np.array([_box(100 + 2 * k + (10 * (k - 19) if k >= 20 else 0))], np.float32))
        velocity[noise] = tracker.tracks.mean[0, 4]
    assert 2 < velocity[0.00625] < velocity[0.025] < 12
    assert 12 - velocity[0.025] < 0.6 * (12 - velocity[0.00625])


def test_momentum_prefers_the_detection_that_continues_the_track():
    """OC-SORT's momentum: a track walking right at 5 px a frame, two detections about as far from its prediction,
    the nearer one behind it. On overlap alone the track turns back to it; with ``momentum_weight`` it goes on."""
    taken = {}
    for weight in (0., 0.2):
        tracker = FastDeepSORTTracker(max_age=30, motion_matching_threshold=0.7, kalman_state='xywh',
                                      motion_gate=False, momentum_weight=weight)
        for k in range(8):
            tracker.predict()
            tracker.update(np.array([_box(100 + 5 * k)], np.float32))
        tracker.predict()
        predicted = tracker.tracks.to_tlwh()[0, 0]
        tracker.update(np.array([_box(predicted - 9), _box(predicted + 10)], np.float32))
        taken[weight] = tracker.tracks.observation[0, 0] - 30 - predicted  # the track's row is its first
    assert np.isclose(taken[0.], -9, atol=0.01) and np.isclose(taken[0.2], 10, atol=0.01)


def test_global_matching_lets_a_lost_track_compete_on_cost():
    """One detection where a person lost for three frames stood (IoU 0.85 with that track) and beside a person seen
    in the last frame (IoU 0.33): deep_sort's cascade gives it to the recently seen track, StrongSORT's single
    assignment (``matching_cascade: false``) to the better overlap."""
    taken = {}
    for cascade in (True, False):
        tracker = FastDeepSORTTracker(max_age=30, motion_matching_threshold=0.7, motion_gate=False,
                                      matching_cascade=cascade)
        for k in range(13):
            boxes = [_box(335)] + ([_box(300)] if k < 10 else [])  # track 1 stays, track 2 is hidden from frame 10
            tracker.predict()
            tracker.update(np.array(boxes, np.float32))
        tracker.predict()
        tracker.update(np.array([_box(305)], np.float32))
        assert tracker.tracks.track_id.tolist() == [1, 2]
        taken[cascade] = int(tracker.tracks.track_id[tracker.tracks.time_since_update == 0][0])
    assert taken == {True: 1, False: 2}


def test_xywh_state_tracks_as_well_on_real_detections():
    """BoT-SORT's (x, y, w, h) state on a whole MOT17 sequence: boxes are the detections' own, and tracking
    scores at least as well as deep_sort's (x, y, a, h) (it scores better on the dev split)."""
    stream = det_stream(os.path.join(MOT17_05, 'det', 'det.txt'), 837)
    gt = GroundTruth(os.path.join(MOT17_05, 'gt', 'gt.txt'))
    scores = {}
    for state in ('xyah', 'xywh'):
        tracker = FastDeepSORTTracker(max_age=30, max_iou_distance=0.7, kalman_state=state)
        results = {}
        for frame_id, (pred, tlwh) in enumerate(stream, start=1):
            tracker.predict()
            tracker.update(pred)
            results[frame_id] = tracker.outputs()
            if frame_id == 1:
                np.testing.assert_allclose(tracker.tracks.to_tlwh(), tlwh, atol=1e-3)
        scores[state] = evaluate([('s', gt, results, range(1, 838))]).rows['s']
    assert scores['xywh']['HOTA'] >= scores['xyah']['HOTA'] - 0.005 and scores['xywh']['HOTA'] > 0.3


def test_moving_average_appearance():
    ema = EMAAppearance(0.9)
    a, b = np.eye(4, dtype=np.float32)[:2]
    ema.partial_fit(np.stack([a, b]), [7, 7], [7])
    expected = 0.9 * a + 0.1 * b
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(ema.distance(np.stack([a, b]), [7])[0], 1 - expected @ np.stack([a, b]).T, atol=1e-6)
    ema.partial_fit(np.zeros((0, 4)), [], [])
    assert ema.distance(np.stack([a]), []).shape == (0, 1)


def _taken_after(tracker, frames, last):
    """Feed ``frames`` ([(boxes, embeddings or None)]) to ``tracker``, then ``last``'s two detections: the x of the
    first track's observation after it (which of the two it took: the observation is the box centre, x + 30)."""
    for boxes, embs in frames + [last]:
        tracker.predict()
        tracker.update(np.array(boxes, np.float32), embs)
    return tracker.tracks.observation[0, 0] - 30


def test_moving_average_appearance_follows_a_changing_look():
    """A person seen with look u for 5 frames, then look v for 10; then two detections as near: one looks as the
    first frames did, one as the moving average of the looks now is. The gallery (nearest of every stored feature)
    takes the old look at distance 0; ``appearance: ema`` takes the average look, the old one being 0.5 away."""
    u, v = np.eye(3, dtype=np.float32)[:2]
    w = 0.3 * u + 0.7 * v
    w /= np.linalg.norm(w)
    seen = [([_box(100)], u[None])] * 5 + [([_box(100)], v[None])] * 10
    last = ([_box(95), _box(105)], np.stack([u, w]))
    assert _taken_after(FastDeepSORTTracker(), seen, last) == 95
    assert _taken_after(FastDeepSORTTracker(appearance='ema'), seen, last) == 105


def test_motion_weight_breaks_an_appearance_tie_by_position():
    """Two detections that look exactly as the track, the first one 6 px off its prediction, the second on it: on
    appearance alone (the gate only forbids) the first takes it; ``motion_weight`` adds the Mahalanobis distance."""
    e = np.eye(3, dtype=np.float32)[:1]
    seen = [([_box(100)], e)] * 6
    last = ([_box(106), _box(100)], np.concatenate([e, e]))
    assert _taken_after(FastDeepSORTTracker(), seen, last) == 106
    assert _taken_after(FastDeepSORTTracker(motion_weight=0.02), seen, last) == 100


def test_nsa_follows_a_confident_detection_closer():
    """A person standing at x = 100 for 6 frames, then a detection scoring 0.99 at x = 110: with ``nsa`` the
    measurement noise shrinks with the score, so the reported box moves nearer to the detection."""
    reported = {}
    for nsa in (False, True):
        tracker = FastDeepSORTTracker(nsa=nsa, max_time_since_update=0)
        for x in [100] * 6 + [110]:
            tracker.predict()
            tracker.update(np.array([_box(x, 0.99)], np.float32))
        reported[nsa] = tracker.outputs()[1][0, 0]
    assert 100 < reported[False] < 109 and reported[True] > 109.5


@pytest.mark.parametrize('key, value, message', [
    ('low_score_threshold', 0.7, 'at most high_score_threshold'),
    ('ema_alpha', 1.0, 'ema_alpha: expected a value in [0, 1)'),
    ('kalman_state', 'xyxy', "expected one of 'xyah', 'xywh'"),
    ('appearance', 'mean', "expected one of 'gallery', 'ema'"),
    ('velocity_noise', 0.0, 'velocity_noise: expected a value > 0'),
    ('momentum_weight', 1.5, 'momentum_weight: expected a value in [0, 1]'),
])
def test_option_errors_name_the_key(key, value, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        FastDeepSORTTracker(**{key: value, 'high_score_threshold': 0.6} if key == 'low_score_threshold' else
                            {key: value})


def test_compat_refuses_options():
    with pytest.raises(ConfigError, match=r'ppdet_compat: expected false when options beyond .*kalman_state'):
        FastDeepSORTTracker(ppdet_compat=True, kalman_state='xywh')


def test_interpolation_fills_gaps_of_a_real_tracker_output():
    """A peer's PETS09 tracks with every third box of each track removed: linear interpolation puts them back
    within a few pixels and gives back the misses; smoothing leaves the tracks where they were."""
    results = read_mot_results(os.path.join(DEV, 'peers', 'PETS09-S2L1-0001-0399', 'nwojke_deepsort',
                                            'PETS09-S2L1.txt'))
    thinned = {f: tuple(a[ids % 3 != f % 3] for a in (ids, tlwh, scores)) for f, (ids, tlwh, scores) in results.items()}
    filled = interpolate_tracks(thinned, max_gap=2)
    total = lambda r: sum(len(v[0]) for v in r.values())  # noqa: E731
    assert total(thinned) < 0.75 * total(results) and total(filled) > 0.95 * total(results)
    errors = []
    for f in results:
        for tid, box in zip(*filled[f][:2]):
            match = results[f][1][results[f][0] == tid]
            if len(match):
                errors.append(np.abs(match[0] - box).max())
    assert np.median(errors) < 3
    gt = GroundTruth(os.path.join(DEV, 'PETS09-S2L1', 'gt', 'gt.txt'))
    score = lambda r: evaluate([('s', gt, r, range(1, 400))]).rows['s']  # noqa: E731
    assert score(filled)['FN'] < score(thinned)['FN'] - 200
    assert total(interpolate_tracks(thinned, max_gap=0)) == total(thinned)
    smoothed = interpolate_tracks(results, max_gap=0, sigma=2)
    assert total(smoothed) == total(results)
    shifts = [np.abs(smoothed[f][1][smoothed[f][0] == tid][0] - box).max() for f in results
              for tid, box in zip(*results[f][:2])]
    assert 0 < np.median(shifts) < 3  # boxes move a little (the detector's jitter), the tracks stay
    assert score(smoothed)['MOTA'] >= score(results)['MOTA']


def shaken_pets(frames, seed=0):
    """The first PETS09-S2L1 frames and detections, each frame shifted by a random offset of up to 25 px (a
    shaking camera), with the offsets."""
    import cv2
    from conftest import PETS_DET, PETS_SEQ
    capture = cv2.VideoCapture(os.path.join(PETS_SEQ, 'PETS09-S2L1.avi'))
    stream = det_stream(PETS_DET, 795)[:frames]
    shifts = np.random.RandomState(seed).uniform(-25, 25, (frames, 2))
    shaken = []
    for (pred, tlwh), shift in zip(stream, shifts):
        image = capture.read()[1]
        moved = cv2.warpAffine(image, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]), image.shape[1::-1])
        pred = pred.copy()
        pred[:, 2:6] += np.tile(shift, 2).astype(np.float32)
        shaken.append((moved, pred))
    return shaken, shifts


def test_camera_motion_is_estimated_and_compensated():
    """Real frames of a shaking camera: the warp between frames is found to a pixel from the frames and to a few
    pixels from the detections alone, and with either compensation the tracker keeps the people it loses without
    (scored against the ground truth in the original frame)."""
    from ppdet_deepsort.tracker.camera_motion import FrameFlow
    from ppdet_deepsort.tracker.detection_motion import DetectionRegistration
    shaken, shifts = shaken_pets(69)
    flow, register = FrameFlow(), DetectionRegistration()
    flow(None, shaken[0][0], None)
    tlwh = lambda pred: np.c_[pred[:, 2:4], pred[:, 4:6] - pred[:, 2:4]]  # noqa: E731
    for k in (1, 2, 3):
        warp = flow(None, shaken[k][0], None)
        np.testing.assert_allclose(warp[:, :2], np.eye(2), atol=0.01)
        np.testing.assert_allclose(warp[:, 2], shifts[k] - shifts[k - 1], atol=1.0)
    # People walk between frames, so the detections' warp is only as sharp as their steps (at 7 fps); where it
    # finds no motion (shifts within a fifth of a person's height) the identity stands.
    errors, shaken_by = [], []
    for k in range(1, 69):
        warp = register(tlwh(shaken[k - 1][1]), tlwh(shaken[k][1]))
        warp = np.eye(2, 3) if warp is None else warp
        now = tlwh(shaken[k][1])[:, :2] + tlwh(shaken[k][1])[:, 2:] / 2
        before = now - (shifts[k] - shifts[k - 1])  # where the camera's shift alone puts each box
        errors.append(np.abs(before @ warp[:, :2].T + warp[:, 2] - now).max(1).mean())
        shaken_by.append(np.abs(shifts[k] - shifts[k - 1]).max())
    assert np.median(errors) < np.median(shaken_by) / 3 and np.median(shaken_by) > 15, (errors, shaken_by)
    assert register(tlwh(shaken[0][1]), tlwh(shaken[0][1])) is None  # standing still: nothing to move

    gt = GroundTruth(os.path.join(DEV, 'PETS09-S2L1', 'gt', 'gt.txt'))
    scores = {}
    for camera in ('none', 'frames', 'detections'):
        tracker, results = FastDeepSORTTracker(max_age=30, camera_motion=camera), {}
        for frame_id, ((image, pred), shift) in enumerate(zip(shaken, shifts), start=1):
            tracker.predict(image)
            tracker.update(pred)
            ids, tlwh_out, det_scores = tracker.outputs()
            results[frame_id] = (ids, tlwh_out - np.r_[shift, 0, 0], det_scores)  # back to the original frame
        scores[camera] = evaluate([('s', gt, results, range(1, 70))]).rows['s']
    for camera in ('frames', 'detections'):
        assert scores[camera]['IDF1'] > scores['none']['IDF1'] + 0.1, camera
        assert scores[camera]['HOTA'] > scores['none']['HOTA'] + 0.05, camera
    with pytest.raises(ValueError, match=r"camera_motion: frames: the tracker needs each frame's image"):
        FastDeepSORTTracker(camera_motion='frames').predict()
    assert FastDeepSORTTracker(camera_motion=True).camera_motion == 'frames'  # the key was a switch
    assert FastDeepSORTTracker(camera_motion=False).camera_motion == 'none'
    assert not FastDeepSORTTracker(camera_motion='detections').needs_frames


def _gaps(frames):
    """The longest run of frames each id went unreported between two reports, over all ids."""
    seen, longest = {}, 0
    for k, frame in enumerate(frames):
        for i, _ in frame:
            if i in seen:
                longest = max(longest, k - seen[i] - 1)
            seen[i] = k
    return longest


def test_time_in_seconds_scales_the_frame_counts(pets_stream):
    """PETS09-S2L1 is filmed at 7 frames a second: with ``reference_fps: 30`` a max_age of 70 frames (2.3 s at 30
    fps) keeps a lost track 16 frames there, so no id comes back after a longer gap, where counted in frames one
    does; the tracker reports only matched tracks (max_time_since_update 1 at 30 fps is 0 at 7)."""
    keys = dict(max_age=70, n_init=3, max_time_since_update=1)
    assert FastDeepSORTTracker(**keys).at_frame_rate(7).frame_counts == (70, 3, 1)
    assert FastDeepSORTTracker(reference_fps=30, **keys).at_frame_rate(7).frame_counts == (16, 1, 0)
    assert FastDeepSORTTracker(reference_fps=30, **keys).at_frame_rate(15).frame_counts == (35, 2, 1)
    assert FastDeepSORTTracker(reference_fps=30, **keys).at_frame_rate(30).frame_counts == (70, 3, 1)
    frames = run(FastDeepSORTTracker(reference_fps=30, **keys).at_frame_rate(7), pets_stream)
    in_frames = run(FastDeepSORTTracker(**keys).at_frame_rate(7), pets_stream)
    assert _gaps(in_frames) > 16 >= _gaps(frames)
    with pytest.raises(ValueError, match='at_frame_rate: expected a frame rate > 0'):
        FastDeepSORTTracker().at_frame_rate(0)


def test_quantile_birth_follows_the_sequences_scores():
    """A new track needs a score among the sequence's usual: the floor is the quantile of the last detections'
    scores, so it rises with a detector that scores high and falls with one that scores low."""
    from ppdet_deepsort.tracker.birth import QuantileBirth, ThresholdBirth
    assert ThresholdBirth(0.5)(np.array([0.4, 0.6, 0.9]), [0, 2]) == [2]
    birth = QuantileBirth(-np.inf, 0.5, window=4)
    assert birth(np.array([0.2, 0.4, 0.6, 0.8]), [0, 1, 2, 3]) == [2, 3]  # median 0.5
    assert birth(np.array([0.9, 0.95]), [0, 1]) == [0, 1]  # the last four: 0.6, 0.8, 0.9, 0.95
    assert birth(np.array([0.1, 0.1, 0.1, 0.7]), [0, 1, 2, 3]) == [0, 1, 2, 3]  # the window: this frame, median 0.1
    assert QuantileBirth(0.8, 0.1)(np.array([0.5, 0.7, 0.9]), [0, 1, 2]) == [2]  # the fixed floor still holds


def test_score_boost_lets_a_weak_box_near_its_track_take_part():
    """A person walking steadily, whose detection turns weak (0.3) while the tracker splits at 0.6: boosted by its
    overlap with the track's prediction it joins the main stages (strong), and the tracker no longer knows before the
    tracks which detections it will embed; a weak box far from every track stays weak."""
    from ppdet_deepsort.tracker.score_split import BoostedSplit, ScoreSplit
    tracker = FastDeepSORTTracker(max_age=30, high_score_threshold=0.6, low_score_threshold=0.1, score_boost=True)
    for k in range(5):
        tracker.predict()
        tracker.update(np.array([_box(100 + 2 * k)], np.float32))
    tracker.predict()
    dets = np.array([_box(110, 0.3), _box(600, 0.3)], np.float64)
    tlwh = np.c_[dets[:, 2:4], dets[:, 4:6] - dets[:, 2:4]]
    strong, weak = BoostedSplit(0.6, 0.1)(dets[:, 1], tlwh, tracker.tracks)
    assert strong.tolist() == [True, False] and weak == [1]
    assert ScoreSplit(0.6, 0.1)(dets[:, 1], tlwh, tracker.tracks)[0].tolist() == [False, False]
    assert tracker.embedding_ahead(dets[:, 1]) is None
    assert FastDeepSORTTracker(high_score_threshold=0.6).embedding_ahead(dets[:, 1]).tolist() == [False, False]
    assert [t.track_id for t in tracker.update(dets.astype(np.float32))] == [1]


@pytest.mark.parametrize('key, value, with_appearance, needs', [
    ('motion_gate', False, True, 'motion-only tracking'),
    ('momentum_weight', 0.2, True, 'motion-only tracking'),
    ('motion_matching_threshold', 0.7, True, 'motion-only tracking'),
    ('appearance', 'ema', False, 'appearance embeddings'),
    ('ema_alpha', 0.8, False, 'appearance embeddings'),
    ('motion_weight', 0.02, False, 'appearance embeddings'),
])
def test_a_key_that_does_nothing_in_the_mode_is_refused_by_name(key, value, with_appearance, needs):
    with pytest.raises(ConfigError, match='FastDeepSORTTracker.{}: .* does nothing .*; it needs {}'.format(key, needs)):
        FastDeepSORTTracker(**{key: value}).in_mode(with_appearance)
    tracker = FastDeepSORTTracker(**{key: value})  # without in_mode, the first frame fixes the mode and checks
    dets = np.array([[0, 0.9, 10, 10, 50, 110]], np.float32)
    with pytest.raises(ConfigError, match='FastDeepSORTTracker.{}'.format(key)):
        tracker.update(dets, np.ones((1, 8), np.float32) if with_appearance else None)
    FastDeepSORTTracker(**{key: value}).in_mode(not with_appearance)  # the other mode reads it


def test_the_mode_holds_for_every_frame():
    tracker = FastDeepSORTTracker().in_mode(False)
    dets = np.array([[0, 0.9, 10, 10, 50, 110]], np.float32)
    with pytest.raises(ValueError, match='started without embeddings'):
        tracker.update(dets, np.ones((1, 8), np.float32))
