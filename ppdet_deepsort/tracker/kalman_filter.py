"""Constant-velocity Kalman filter for boxes, vectorized over all tracks.

The model is the one of nwojke/deep_sort: state ``(x, y, a, h, vx, vy, va, vh)`` with the box centre
``(x, y)``, aspect ratio ``a = w / h`` and height ``h``; ``(x, y, a, h)`` is observed directly. Noise is
proportional to the box height. BoT-SORT's variant keeps ``(x, y, w, h)`` instead, with noise proportional
to the width for x and w and to the height for y and h, which follows boxes whose shape changes (people
turning, partial occlusion) without the aspect ratio's large relative noise. Every method takes a stack of
N states (``mean`` N x 8, ``covariance`` N x 8 x 8) so one call serves all tracks of a frame.

The variants are classes chosen once: the state's form is a noise model (:data:`XYAH`, :data:`XYWH`, or one with
another velocity noise, :data:`NOISE`) given to the filter; :class:`NSAKalmanFilter` (GIAOTracker, StrongSORT)
scales each detection's measurement noise by ``1 - score``, so confident detections pull the state harder than
doubtful ones; :class:`PpdetKalmanFilter` rounds where ppdet 2.6's filter rounds to float32.

The arithmetic is written so that, in float64, each state entry comes out bit for bit as in ppdet's
per-track ``KalmanFilter`` (same operand order, same BLAS calls per matrix); that is what lets the
tracker's parity test demand exact equality instead of a tolerance.
"""

import numpy as np

# 0.95 quantile of the chi-square distribution with N degrees of freedom: the Mahalanobis gate.
CHI2INV95 = {1: 3.8415, 2: 5.9915, 3: 7.8147, 4: 9.4877, 5: 11.070, 6: 12.592, 7: 14.067, 8: 15.507, 9: 16.919}

# Standard deviations are (weight * height + constant) per state entry; written as one product and
# one sum, which for every entry yields the very float deep_sort's element-wise lists give.
POSITION_NOISE, VELOCITY_NOISE = 1. / 20, 1. / 160  # deep_sort's, relative to the box height
_XYAH_CONST = np.array([0, 0, 1e-2, 0, 0, 0, 1e-5, 0])  # initial and motion noise of a and va
_MEASURE_CONST = np.array([0, 0, 1e-1, 0])
_XYWH_SCALE = [2, 3, 2, 3, 2, 3, 2, 3]  # (x, y, w, h): the columns of the state that scale each entry's noise

__all__ = ['XYAH', 'XYWH', 'NOISE', 'VELOCITY_NOISE', 'KalmanFilter', 'NSAKalmanFilter', 'PpdetKalmanFilter',
           'CHI2INV95']


def _diagonal(stack):
    """Writable view of the diagonals of a C-contiguous stack of square matrices."""
    n = stack.shape[-1]
    return stack.reshape(len(stack), n * n)[:, ::n + 1]


class _XYAHNoise:
    """deep_sort's (x, y, a, h) state: every standard deviation proportional to the box height.

    Args:
        velocity (float): the velocity's process noise per frame, relative to the box height (deep_sort's 1/160,
            about 1 px a frame for a 160 px person). The camera's own motion counts as the targets': a larger
            value lets the velocity follow a panning or shaking camera, at the cost of a looser gate.
    """
    form = 'xyah'

    def __init__(self, velocity=VELOCITY_NOISE):
        p, v = POSITION_NOISE, velocity
        self._initial = np.array([2 * p, 2 * p, 0, 2 * p, 10 * v, 10 * v, 0, 10 * v])
        self._motion = np.array([p, p, 0, p, v, v, 0, v])
        self._measure = np.array([p, p, 0, p])

    def initial(self, measurements):
        return measurements[:, 3:4] * self._initial + _XYAH_CONST

    def motion(self, mean):
        return mean[:, 3:4] * self._motion + _XYAH_CONST

    def measurement(self, mean):
        return mean[:, 3:4] * self._measure + _MEASURE_CONST


class _XYWHNoise:
    """BoT-SORT's (x, y, w, h) state: x and w noise proportional to the width, y and h to the height, no constants.
    ``velocity`` as for :class:`_XYAHNoise`."""
    form = 'xywh'

    def __init__(self, velocity=VELOCITY_NOISE):
        p, v = POSITION_NOISE, velocity
        self._initial = np.array([2 * p] * 4 + [10 * v] * 4)
        self._motion = np.array([p] * 4 + [v] * 4)
        self._measure = np.array([p] * 4)

    def initial(self, measurements):
        return measurements[:, _XYWH_SCALE] * self._initial

    def motion(self, mean):
        return mean[:, _XYWH_SCALE] * self._motion

    def measurement(self, mean):
        return mean[:, _XYWH_SCALE[:4]] * self._measure


XYAH, XYWH = _XYAHNoise(), _XYWHNoise()
NOISE = {'xyah': _XYAHNoise, 'xywh': _XYWHNoise}  # kalman_state -> its noise model's class


class KalmanFilter:
    """Kalman filter over N box states at once.

    Args:
        noise: the state's form and its noise model, :data:`XYAH` (deep_sort) or :data:`XYWH` (BoT-SORT);
            measurements are given in the same form.

    The ``fresh`` and ``scores`` arguments of :meth:`predict` and :meth:`update` are what the subclasses need
    (states never predicted or updated before, detection scores); this filter does not use them.
    """

    def __init__(self, noise=XYAH):
        self.noise = noise
        self.form = noise.form

    def initiate(self, measurements):
        """New states from unassociated measurements (N x 4); velocities start at zero."""
        mean = np.concatenate([measurements, np.zeros_like(measurements)], axis=1).astype(np.float64)
        covariance = np.zeros((len(mean), 8, 8))
        _diagonal(covariance)[:] = np.square(self.noise.initial(measurements))
        return mean, covariance

    def predict(self, mean, covariance, fresh=None):
        """One constant-velocity step for every state."""
        fpft = self._propagated(covariance, fresh)
        _diagonal(fpft)[:] += np.square(self.noise.motion(mean))
        new_mean = mean.copy()
        new_mean[:, :4] += mean[:, 4:]
        return new_mean, fpft

    def _propagated(self, covariance, fresh):
        """F P F^T for F = [[I, I], [0, I]], as sums of blocks. ppdet's multi_dot evaluates F (P F^T); summing the
        same pairs in the same order keeps every entry bit-identical."""
        fpft = covariance.copy()
        fpft[:, :, :4] += fpft[:, :, 4:]
        fpft[:, :4, :] += fpft[:, 4:, :]
        return fpft

    def project(self, mean, covariance):
        """States in measurement space: (N x 4 means, N x 4 x 4 innovation covariances)."""
        return self._projected(mean, covariance, self._measurement_std(mean))

    def _measurement_std(self, mean):
        return self.noise.measurement(mean)

    @staticmethod
    def _projected(mean, covariance, std):
        projected_cov = covariance[:, :4, :4].copy()
        _diagonal(projected_cov)[:] += np.square(std)
        return mean[:, :4], projected_cov

    def _update_std(self, mean, scores):
        """The measurement noise of an update: the same as the gate's."""
        return self._measurement_std(mean)

    def update(self, mean, covariance, measurements, fresh=None, scores=None):
        """Measurement update of N states with N measurements (``scores``: their detections' scores)."""
        projected_mean, projected_cov = self._projected(mean, covariance, self._update_std(mean, scores))
        # Same expressions as deep_sort's update; np.linalg.solve and matmul over a stack call the
        # same LAPACK/BLAS routine per matrix as the per-track code does.
        gain_t = np.linalg.solve(projected_cov, np.ascontiguousarray(covariance[:, :, :4].transpose(0, 2, 1)))
        kalman_gain = gain_t.transpose(0, 2, 1)
        innovation = self._innovation(measurements, projected_mean, fresh)
        new_mean = mean + np.matmul(innovation[:, None, :], gain_t)[:, 0]
        new_covariance = covariance - np.matmul(np.matmul(kalman_gain, projected_cov), gain_t)
        return new_mean, new_covariance

    def _innovation(self, measurements, projected_mean, fresh):
        return measurements - projected_mean

    def gating_distance(self, mean, covariance, measurements):
        """Squared Mahalanobis distance of M measurements to N states: an N x M matrix."""
        projected_mean, projected_cov = self.project(mean, covariance)
        chol = np.linalg.cholesky(projected_cov)
        d = measurements[None, :, :] - projected_mean[:, None, :]
        # Forward substitution with the lower Cholesky factor, all N x M pairs at once.
        z0 = d[..., 0] / chol[:, 0, 0, None]
        z1 = (d[..., 1] - z0 * chol[:, 1, 0, None]) / chol[:, 1, 1, None]
        z2 = (d[..., 2] - z0 * chol[:, 2, 0, None] - z1 * chol[:, 2, 1, None]) / chol[:, 2, 2, None]
        z3 = (d[..., 3] - z0 * chol[:, 3, 0, None] - z1 * chol[:, 3, 1, None]
              - z2 * chol[:, 3, 2, None]) / chol[:, 3, 3, None]
        return z0 * z0 + z1 * z1 + z2 * z2 + z3 * z3


class NSAKalmanFilter(KalmanFilter):
    """NSA Kalman (GIAOTracker, StrongSORT): an update's measurement noise is scaled by ``1 - score`` of its
    detection. The gate keeps the plain noise; updates without scores (OC-SORT's virtual observations) too."""

    def _update_std(self, mean, scores):
        std = self._measurement_std(mean)
        return std if scores is None else std * (1. - np.clip(scores, 0., 1.))[:, None]


class PpdetKalmanFilter(KalmanFilter):
    """(x, y, a, h), rounded where ppdet 2.6's filter rounds to float32: the initial covariance, the first
    prediction of a track (``fresh``: never predicted), the measurement noise, and the first update's innovation
    (``fresh``: never updated; ppdet still holds that mean in float32)."""

    def __init__(self):
        super().__init__(XYAH)

    def initiate(self, measurements):
        mean, covariance = super().initiate(measurements)
        return mean, covariance.astype(np.float32).astype(np.float64)

    def _propagated(self, covariance, fresh):
        fpft = super()._propagated(covariance, fresh)
        if fresh is not None and fresh.any():
            fpft[fresh] = fpft[fresh].astype(np.float32)
        return fpft

    def _measurement_std(self, mean):
        return self.noise.measurement(mean).astype(np.float32)

    def _innovation(self, measurements, projected_mean, fresh):
        innovation = measurements - projected_mean
        if fresh is not None and fresh.any():
            innovation[fresh] = measurements[fresh].astype(np.float32) - projected_mean[fresh].astype(np.float32)
        return innovation
