"""Constant-velocity Kalman filter for boxes, vectorized over all tracks.

The model is the one of nwojke/deep_sort: state ``(x, y, a, h, vx, vy, va, vh)`` with the box centre
``(x, y)``, aspect ratio ``a = w / h`` and height ``h``; ``(x, y, a, h)`` is observed directly. Noise is
proportional to the box height. BoT-SORT's variant keeps ``(x, y, w, h)`` instead, with noise proportional
to the width for x and w and to the height for y and h, which follows boxes whose shape changes (people
turning, partial occlusion) without the aspect ratio's large relative noise. Every method takes a stack of
N states (``mean`` N x 8, ``covariance`` N x 8 x 8) so one call serves all tracks of a frame.

NSA (GIAOTracker, StrongSORT): with detection confidences, the measurement noise of a detection is scaled
by ``1 - confidence``, so confident detections pull the state harder than doubtful ones.

The arithmetic is written so that, in float64, each state entry comes out bit for bit as in ppdet's
per-track ``KalmanFilter`` (same operand order, same BLAS calls per matrix); that is what lets the
tracker's parity test demand exact equality instead of a tolerance.
"""

import numpy as np

# 0.95 quantile of the chi-square distribution with N degrees of freedom: the Mahalanobis gate.
CHI2INV95 = {1: 3.8415, 2: 5.9915, 3: 7.8147, 4: 9.4877, 5: 11.070, 6: 12.592, 7: 14.067, 8: 15.507, 9: 16.919}

# Standard deviations are (weight * height + constant) per state entry; written as one product and
# one sum, which for every entry yields the very float deep_sort's element-wise lists give.
_WP, _WV = 1. / 20, 1. / 160  # position and velocity noise, relative to the box height
_INIT_WEIGHT = np.array([2 * _WP, 2 * _WP, 0, 2 * _WP, 10 * _WV, 10 * _WV, 0, 10 * _WV])
_INIT_CONST = np.array([0, 0, 1e-2, 0, 0, 0, 1e-5, 0])
_MOTION_WEIGHT = np.array([_WP, _WP, 0, _WP, _WV, _WV, 0, _WV])
_MOTION_CONST = np.array([0, 0, 1e-2, 0, 0, 0, 1e-5, 0])
_MEASURE_WEIGHT = np.array([_WP, _WP, 0, _WP])
_MEASURE_CONST = np.array([0, 0, 1e-1, 0])
# (x, y, w, h): the same weights on every entry, no constants; each scaled by w or h as below.
_XYWH_SCALE = [2, 3, 2, 3, 2, 3, 2, 3]  # columns of the state that scale each entry's noise
_XYWH_INIT_WEIGHT = np.array([2 * _WP] * 4 + [10 * _WV] * 4)
_XYWH_MOTION_WEIGHT = np.array([_WP] * 4 + [_WV] * 4)
_XYWH_MEASURE_WEIGHT = np.array([_WP] * 4)


def _diagonal(stack):
    """Writable view of the diagonals of a C-contiguous stack of square matrices."""
    n = stack.shape[-1]
    return stack.reshape(len(stack), n * n)[:, ::n + 1]


class KalmanFilter:
    """Kalman filter over N box states at once.

    Args:
        ppdet_compat (bool): round where ppdet 2.6's filter rounds to float32 (initial covariance, its
            first prediction, measurement noise), to reproduce ppdet's tracks bit for bit.
        state (str): 'xyah' (deep_sort) or 'xywh' (BoT-SORT); measurements are given in the same form.
    """

    def __init__(self, ppdet_compat=False, state='xyah'):
        if state not in ('xyah', 'xywh'):
            raise ValueError("state must be 'xyah' or 'xywh', got {!r}".format(state))
        self._compat = ppdet_compat
        self.state = state

    def _std(self, boxes, xyah_weight, xyah_const, xywh_weight):
        """Standard deviations, N x len(weight), from the boxes' size (N x 4 or N x 8 states)."""
        if self.state == 'xyah':
            return boxes[:, 3:4] * xyah_weight + xyah_const
        return boxes[:, _XYWH_SCALE[:len(xywh_weight)]] * xywh_weight

    def initiate(self, measurements):
        """New states from unassociated measurements (N x 4); velocities start at zero."""
        mean = np.concatenate([measurements, np.zeros_like(measurements)], axis=1).astype(np.float64)
        var = np.square(self._std(measurements, _INIT_WEIGHT, _INIT_CONST, _XYWH_INIT_WEIGHT))
        if self._compat:
            var = var.astype(np.float32).astype(np.float64)
        covariance = np.zeros((len(mean), 8, 8))
        _diagonal(covariance)[:] = var
        return mean, covariance

    def predict(self, mean, covariance, fresh=None):
        """One constant-velocity step for every state.

        ``fresh`` marks states that were never predicted: ppdet keeps their covariance in float32, so its
        first ``F P F^T`` is rounded there (only honoured with ``ppdet_compat``).
        """
        # F = [[I, I], [0, I]] turns F P F^T into sums of blocks. ppdet's multi_dot evaluates
        # F (P F^T); summing the same pairs in the same order keeps every entry bit-identical.
        fpft = covariance.copy()
        fpft[:, :, :4] += fpft[:, :, 4:]
        fpft[:, :4, :] += fpft[:, 4:, :]
        if self._compat and fresh is not None and fresh.any():
            fpft[fresh] = fpft[fresh].astype(np.float32)
        _diagonal(fpft)[:] += np.square(self._std(mean, _MOTION_WEIGHT, _MOTION_CONST, _XYWH_MOTION_WEIGHT))
        new_mean = mean.copy()
        new_mean[:, :4] += mean[:, 4:]
        return new_mean, fpft

    def project(self, mean, covariance, confidence=None):
        """States in measurement space: (N x 4 means, N x 4 x 4 innovation covariances). With ``confidence``
        (N detection scores, NSA) the measurement noise is scaled by ``1 - confidence``."""
        std = self._std(mean, _MEASURE_WEIGHT, _MEASURE_CONST, _XYWH_MEASURE_WEIGHT)
        if self._compat:
            std = std.astype(np.float32)
        if confidence is not None:
            std = std * (1. - np.clip(confidence, 0., 1.))[:, None]
        projected_cov = covariance[:, :4, :4].copy()
        _diagonal(projected_cov)[:] += np.square(std)
        return mean[:, :4], projected_cov

    def update(self, mean, covariance, measurements, fresh=None, confidence=None):
        """Measurement update of N states with N measurements.

        ``fresh`` marks states never updated before: ppdet still holds their mean in float32 and so
        forms the innovation in float32 (only honoured with ``ppdet_compat``). ``confidence``: NSA, see
        :meth:`project`.
        """
        projected_mean, projected_cov = self.project(mean, covariance, confidence)
        # Same expressions as deep_sort's update; np.linalg.solve and matmul over a stack call the
        # same LAPACK/BLAS routine per matrix as the per-track code does.
        gain_t = np.linalg.solve(projected_cov, np.ascontiguousarray(covariance[:, :, :4].transpose(0, 2, 1)))
        kalman_gain = gain_t.transpose(0, 2, 1)
        innovation = measurements - projected_mean
        if self._compat and fresh is not None and fresh.any():
            innovation[fresh] = (measurements[fresh].astype(np.float32) - projected_mean[fresh].astype(np.float32))
        new_mean = mean + np.matmul(innovation[:, None, :], gain_t)[:, 0]
        new_covariance = covariance - np.matmul(np.matmul(kalman_gain, projected_cov), gain_t)
        return new_mean, new_covariance

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
