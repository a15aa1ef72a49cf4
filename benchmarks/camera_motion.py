"""Benchmark: the camera's motion estimated from the detections (``camera_motion: detections``) against the truth and
against the estimate from the frames (``camera_motion: frames``, BoT-SORT's optical flow), with the time each takes.

* The dev variants with a moving and a shaking camera (tests/dev_variants.py) know the true warp of every frame: for
  each pair of consecutive frames, the registration of the first frame's detections onto the second's is compared
  with the true inter-frame warp, as the error (pixels) it leaves at the first frame's detections, beside the error
  of not compensating at all (the camera's own motion there). No frames exist for these, so the optical flow has no
  row.
* PETS09-S2L1's video is filmed from a static camera: the truth is no motion, and both estimates are compared with
  it, each on its own input (the detections; the frames).

The tracker registers its predicted tracks, sharper than the last frame's detections used here, so these errors
bound what it sees from above. Prints one JSON object: per data set the median and 95th percentile error, the share
of frames where a motion was found, and milliseconds per frame.

    python benchmarks/camera_motion.py [--frames 300]
"""

import argparse
import json
import os
import sys
import time

import cv2
import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, 'tests'))  # dev_variants

from dev_variants import DEV_SEQUENCES, SHAKY, _detections, _read, _seqinfo, camera_warps  # noqa: E402
from ppdet_deepsort.tracker.camera_motion import FrameFlow  # noqa: E402
from ppdet_deepsort.tracker.detection_motion import DetectionRegistration  # noqa: E402

PETS = os.path.join(REPO, 'dataset', 'mot', 'PETS09')


def _by_frame(rows, num_frames):
    tlwh = [np.zeros((0, 4))] * (num_frames + 1)
    for f in np.unique(rows[:, 0]).astype(int):
        if f <= num_frames:
            tlwh[f] = rows[rows[:, 0] == f, 2:6]
    return tlwh


def _apply(warp, points):
    return points @ warp[:, :2].T + warp[:, 2]


def _summary(errors, found, seconds, frames):
    return {'median_px': round(float(np.median(errors)), 2), 'p95_px': round(float(np.percentile(errors, 95)), 2),
            'motion_found': round(found / frames, 3), 'ms_per_frame': round(1e3 * seconds / frames, 3)}


def moving_cameras(variant, max_frames):
    """Per sequence of the variant: the registration's error against the true inter-frame warp, and no
    compensation's."""
    register = DetectionRegistration()
    errors, still, found, seconds, frames = [], [], 0, 0., 0
    for seq in DEV_SEQUENCES:
        section = _seqinfo(seq)['Sequence']
        dets = _read(_detections(seq))
        num_frames = min(int(section['seqLength']), max_frames)
        width = float(section.get('imWidth', np.ceil((dets[:, 2] + dets[:, 4]).max())))
        height = float(section.get('imHeight', np.ceil((dets[:, 3] + dets[:, 5]).max())))
        shaky = SHAKY if variant == 'shaky_camera' else {}
        warps = camera_warps(int(section['seqLength']), width, height, 0, **shaky)
        boxes = _by_frame(dets, num_frames)
        for k in range(2, num_frames + 1):
            before, now = boxes[k - 1], boxes[k]
            if not len(before) or not len(now):
                continue
            # The people as the moving camera saw them in frames k - 1 and k (as dev_variants warps them).
            seen = [_moved(b, warps[f - 1]) for b, f in ((before, k - 1), (now, k))]
            start = time.perf_counter()
            warp = register(*seen)
            seconds += time.perf_counter() - start
            frames += 1
            found += warp is not None
            truth = _compose(warps[k - 1], warps[k - 2])
            centre = seen[0][:, :2] + seen[0][:, 2:] / 2
            estimate = np.eye(2, 3) if warp is None else warp
            errors.append(np.hypot(*(_apply(estimate, centre) - _apply(truth, centre)).T).mean())
            still.append(np.hypot(*(centre - _apply(truth, centre)).T).mean())
    return {'detections': _summary(errors, found, seconds, frames),
            'no_compensation': _summary(still, 0, 0., frames)}


def _moved(tlwh, warp):
    centre = _apply(warp, tlwh[:, :2] + tlwh[:, 2:] / 2)
    size = tlwh[:, 2:] * np.sqrt(abs(np.linalg.det(warp[:, :2])))
    return np.c_[centre - size / 2, size]


def _compose(now, before):
    """The warp taking the image of frame k - 1 (``before``) to frame k's (``now``)."""
    square = lambda w: np.vstack([w, [0, 0, 1]])  # noqa: E731
    return (square(now) @ np.linalg.inv(square(before)))[:2]


def static_camera(max_frames):
    """PETS09-S2L1 (a static camera): both estimates against no motion."""
    dets = _read(os.path.join(PETS, 'det_results', 'PETS09-S2L1.txt'))
    capture = cv2.VideoCapture(os.path.join(PETS, 'images', 'train', 'PETS09-S2L1', 'PETS09-S2L1.avi'))
    register, flow = DetectionRegistration(), FrameFlow()
    num_frames = min(int(dets[:, 0].max()), max_frames)
    boxes = _by_frame(dets, num_frames)
    rows = {'detections': ([], 0, 0.), 'frames': ([], 0, 0.)}
    for k in range(1, num_frames + 1):
        ok, image = capture.read()
        if not ok:
            break
        start = time.perf_counter()
        warp = flow(None, image, None)
        spent = time.perf_counter() - start
        if k == 1:
            continue
        centre = boxes[k - 1][:, :2] + boxes[k - 1][:, 2:] / 2
        for name, estimate, seconds in (('frames', warp, spent), ('detections', None, 0.)):
            if name == 'detections':
                start = time.perf_counter()
                estimate = register(boxes[k - 1], boxes[k])
                seconds = time.perf_counter() - start
            errors, found, total = rows[name]
            moved = estimate is not None and not np.allclose(estimate, np.eye(2, 3))
            estimate = np.eye(2, 3) if estimate is None else estimate
            errors.append(np.hypot(*(_apply(estimate, centre) - centre).T).mean() if len(centre) else 0.)
            rows[name] = (errors, found + moved, total + seconds)
    return {name: _summary(errors, found, seconds, len(errors)) for name, (errors, found, seconds) in rows.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--frames', type=int, default=300, help='frames per sequence at most')
    args = parser.parse_args()
    print(json.dumps({
        'benchmark': 'camera motion: from the detections (DetectionRegistration) vs the truth and vs the frames '
                     '(FrameFlow); error in pixels at the detections, mean per frame',
        'moving_camera': moving_cameras('camera', args.frames),
        'shaking_camera': moving_cameras('shaky_camera', args.frames),
        'static_camera_pets09': static_camera(args.frames),
    }, indent=2))


if __name__ == '__main__':
    main()
