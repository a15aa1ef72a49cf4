"""Camera-motion compensation (BoT-SORT's sparse optical flow variant), for moving cameras only.

When the camera pans or walks, every track's predicted box is off by the image motion, and the Kalman filter
cannot know it. Estimating that motion from the frames (corners tracked by pyramidal Lucas-Kanade between
consecutive frames, a similarity transform fitted with RANSAC) and applying it to every track's state before
matching puts the predictions back where the people are. On a static camera it only costs time and can add noise,
so it is off unless asked (``camera_motion: true``): the tracker then compensates in ``predict(image)``.
"""

import cv2
import numpy as np

__all__ = ['CameraMotion', 'Compensation', 'StaticCamera', 'warp_states']

_IDENTITY = np.eye(2, 3)


class CameraMotion:
    """Estimates the 2 x 3 image warp from each frame to the next.

    Args:
        downscale (int): frames are shrunk by this factor before tracking corners (speed); the warp is given
            in full-resolution pixels.
    """

    def __init__(self, downscale=2):
        self.downscale = downscale
        self._previous = None
        self._corners = None

    def __call__(self, image):
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


class Compensation:
    """Moves a tracker's predicted tracks by the camera's motion since the last frame, estimated from the frames."""

    def __init__(self):
        self.estimate = CameraMotion()

    def __call__(self, tracks, image):
        if image is None:
            raise ValueError("camera_motion: the tracker needs each frame's image (predict(image)) to follow the "
                             "camera")
        warp = self.estimate(image)
        warp_states(tracks.mean, tracks.covariance, warp, tracks.form)
        warp_states(tracks.observed_mean, tracks.observed_covariance, warp, tracks.form)
        observed = np.concatenate([tracks.observation, np.zeros_like(tracks.observation)], axis=1)
        warp_states(observed, np.zeros((len(observed), 8, 8)), warp, tracks.form)
        tracks.observation = observed[:, :4]


class StaticCamera:
    """A camera that does not move: nothing to compensate."""

    def __call__(self, tracks, image):
        pass


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
