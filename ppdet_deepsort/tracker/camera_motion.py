"""Camera-motion compensation, for moving cameras: the key ``camera_motion``.

When the camera pans or walks, every track's predicted box is off by the image motion, and the Kalman filter
cannot know it. Estimating that motion and applying it to every track's state before matching puts the predictions
back where the people are. Two estimates, each a :class:`Compensation` chosen once: from the frames (BoT-SORT's
sparse optical flow, :class:`FrameFlow`: corners tracked by pyramidal Lucas-Kanade between consecutive frames, a
similarity fitted with RANSAC; it needs the pixels and costs milliseconds), or from the detections themselves
(:class:`.detection_motion.DetectionRegistration`: no pixels, well under a millisecond). :class:`StaticCamera`
compensates nothing.
"""

import cv2
import numpy as np

from .detection_motion import DetectionRegistration

__all__ = ['FrameFlow', 'Compensation', 'StaticCamera', 'warp_states', 'compensation']

_IDENTITY = np.eye(2, 3)


class FrameFlow:
    """Estimates the 2 x 3 image warp from each frame to the next, from the frames.

    Args:
        downscale (int): frames are shrunk by this factor before tracking corners (speed); the warp is given
            in full-resolution pixels.
    """

    needs_frames = True

    def __init__(self, downscale=2):
        self.downscale = downscale
        self._previous = None
        self._corners = None

    def __call__(self, tracks, image, frame):
        """The warp from the previous frame to ``image`` (BGR); the identity for the first frame or when too few
        corners can be followed (a cut, a blank frame)."""
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        if self.downscale > 1:
            gray = cv2.resize(gray, (gray.shape[1] // self.downscale, gray.shape[0] // self.downscale))
        previous, corners = self._previous, self._corners
        self._previous = gray
        self._corners = cv2.goodFeaturesToTrack(gray, maxCorners=1000, qualityLevel=0.01, minDistance=1,
                                                blockSize=3, useHarrisDetector=False, k=0.04)
        if previous is None or corners is None or len(corners) < 10:
            return _IDENTITY.copy()
        moved, status, _ = cv2.calcOpticalFlowPyrLK(previous, gray, corners, None)
        ok = status.ravel() == 1
        if ok.sum() < 10:
            return _IDENTITY.copy()
        warp, _ = cv2.estimateAffinePartial2D(corners[ok], moved[ok], method=cv2.RANSAC)
        if warp is None:
            return _IDENTITY.copy()
        warp[:, 2] *= self.downscale
        return warp


class FromDetections:
    """The warp between the tracks seen in the last frame, as predicted, and the frame's strong detections
    (:class:`.detection_motion.DetectionRegistration`); None on a frame without detections."""

    needs_frames = False

    def __init__(self):
        self.register = DetectionRegistration()

    def __call__(self, tracks, image, frame):
        if frame is None:
            return None
        seen = np.flatnonzero(tracks.confirmed() & (tracks.time_since_update == 1))
        return self.register(tracks.to_tlwh()[seen], frame.tlwh[frame.strong])


class Compensation:
    """Moves a tracker's predicted tracks by the camera's motion since the last frame, as ``estimate`` (tracks,
    image or None, :class:`.association.FrameDetections` or None on a frame without detections) -> 2 x 3 warp or
    None gives it."""

    def __init__(self, estimate):
        self.estimate = estimate
        self.needs_frames = estimate.needs_frames

    def __call__(self, tracks, image, frame):
        warp = self.estimate(tracks, image, frame)
        if warp is None:
            return
        warp_states(tracks.mean, tracks.covariance, warp, tracks.form)
        warp_states(tracks.observed_mean, tracks.observed_covariance, warp, tracks.form)
        observed = np.concatenate([tracks.observation, np.zeros_like(tracks.observation)], axis=1)
        warp_states(observed, np.zeros((len(observed), 8, 8)), warp, tracks.form)
        tracks.observation = observed[:, :4]


class StaticCamera:
    """A camera that does not move: nothing to compensate."""

    needs_frames = False

    def __call__(self, tracks, image, frame):
        pass


def compensation(camera_motion):
    """The compensation for the key ``camera_motion``: 'none', 'detections' or 'frames'."""
    if camera_motion == 'none':
        return StaticCamera()
    return Compensation(FrameFlow() if camera_motion == 'frames' else FromDetections())


def warp_states(mean, covariance, warp, form):
    """Move N Kalman states (in place) by an image warp: centres and their velocities, and in the (x, y, w, h)
    form the size and its velocity too (in (x, y, a, h) the scale factor goes to the height)."""
    if not len(mean):
        return
    linear, shift = warp[:, :2], warp[:, 2]
    block = np.eye(8)
    pairs = [(0, 1), (4, 5)] + ([(2, 3), (6, 7)] if form == 'xywh' else [])
    for i, j in pairs:
        block[np.ix_([i, j], [i, j])] = linear
    if form == 'xyah':
        scale = np.sqrt(abs(np.linalg.det(linear)))
        block[3, 3] = block[7, 7] = scale
    mean[:] = mean @ block.T
    mean[:, :2] += shift
    covariance[:] = block @ covariance @ block.T
