"""OC-SORT's observation-centric re-update (Cao et al. 2023) for a track found again after it was lost.

While a track is lost the Kalman filter only predicts, and its velocity and covariance drift further from
the truth each frame; matching it again then corrects the state from a prediction that is far off, and the
bad velocity carries on. The re-update goes back to the state saved at the track's last observation and
replays the lost frames with virtual observations on the straight line from that observation to the new
one, so the state that meets the new detection has a velocity that fits both.
"""

import numpy as np


def reupdate(kf, tracks, rows, measurements):
    """Of the matched ``rows`` (with their ``measurements``), replace the predicted states of those found again
    (tracks lost for ``time_since_update - 1`` frames) by states replayed from their last observation to the frame
    before the new one, then predicted to this frame; the caller's measurement update follows as for any match."""
    refound = tracks.time_since_update[rows] > 1
    rows, measurements = rows[refound], measurements[refound]
    gaps = tracks.time_since_update[rows]
    for gap in np.unique(gaps).tolist():
        group = rows[gaps == gap]
        start, end = tracks.observation[group], measurements[gaps == gap]
        mean, covariance = tracks.observed_mean[group].copy(), tracks.observed_covariance[group].copy()
        for step in range(1, gap):
            mean, covariance = kf.predict(mean, covariance)
            mean, covariance = kf.update(mean, covariance, start + (end - start) * (step / gap))
        tracks.mean[group], tracks.covariance[group] = kf.predict(mean, covariance)
