"""Offline post-processing of a sequence's tracks, for evaluation: filling short gaps and smoothing.

An online tracker reports a person only in frames where it matched a detection; a track that misses a few
frames in an occlusion and is found again has holes that count as misses. Knowing the whole sequence, the
holes can be filled by linear interpolation between the two observed boxes (as ByteTrack's and StrongSORT's
evaluation scripts do), and each track's boxes can be smoothed over time (StrongSORT++'s Gaussian-smoothed
interpolation fits a Gaussian process to the same end): here a local linear fit with Gaussian weights, which
leaves constant-velocity motion untouched, also at a track's ends, where a plain weighted average would pull
the boxes inwards. Neither can run online: both look at later frames.
"""

import numpy as np

__all__ = ['interpolate_tracks']


def interpolate_tracks(results, max_gap, sigma=0.):
    """Fill each track's gaps of at most ``max_gap`` frames linearly, then smooth its boxes.

    Args:
        results (dict): {frame id: (ids, tlwh, scores)} of a sequence.
        max_gap (int): longest run of missing frames to fill; 0 fills none.
        sigma (float): standard deviation, in frames, of the Gaussian that smooths each track's boxes over the
            frames where it is reported; 0 leaves the boxes as they are.

    Returns:
        dict: the same layout, every frame of ``results`` present (frames only filled in are added).
    """
    frames = [f for f in results for _ in range(len(results[f][0]))]
    if not frames:
        return dict(results)
    frame = np.array(frames, np.int64)
    ids = np.concatenate([results[f][0] for f in results]).astype(np.int64)
    boxes = np.concatenate([np.c_[results[f][1], results[f][2]] for f in results])  # x, y, w, h, score
    order = np.lexsort((frame, ids))
    frame, ids, boxes = frame[order], ids[order], boxes[order]

    if max_gap > 0:
        step = np.diff(frame)
        fill = np.flatnonzero((ids[1:] == ids[:-1]) & (step > 1) & (step <= max_gap + 1))
        if len(fill):
            missing = step[fill] - 1
            before = np.repeat(fill, missing)
            offset = np.arange(len(before)) - np.repeat(np.cumsum(missing) - missing, missing) + 1
            weight = (offset / np.repeat(step[fill], missing))[:, None]
            new_boxes = boxes[before] * (1 - weight) + boxes[before + 1] * weight
            frame = np.r_[frame, frame[before] + offset]
            ids = np.r_[ids, ids[before]]
            boxes = np.r_[boxes, new_boxes]
            order = np.lexsort((frame, ids))
            frame, ids, boxes = frame[order], ids[order], boxes[order]

    if sigma > 0:
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        for a, b in zip(starts, np.r_[starts[1:], len(ids)]):
            boxes[a:b, :4] = _local_linear(frame[a:b].astype(np.float64), boxes[a:b, :4], sigma)

    out = {f: (np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros(0)) for f in results}
    order = np.argsort(frame, kind='stable')
    frame, ids, boxes = frame[order], ids[order], boxes[order]
    starts = np.flatnonzero(np.r_[True, frame[1:] != frame[:-1]])
    for a, b in zip(starts.tolist(), np.r_[starts[1:], len(frame)].tolist()):
        out[int(frame[a])] = (ids[a:b], boxes[a:b, :4], boxes[a:b, 4])
    return dict(sorted(out.items()))


def _local_linear(t, values, sigma):
    """Each value replaced by the value at its own time of a line fitted with Gaussian weights around it."""
    d = t[None, :] - t[:, None]  # row: the time of the fit; column: the sample
    w = np.exp(-0.5 * np.square(d / sigma))
    s0, s1, s2 = w.sum(1), (w * d).sum(1), (w * d * d).sum(1)
    wy, wdy = w @ values, (w * d) @ values
    det = s0 * s2 - s1 * s1
    ok = det > 1e-9 * np.maximum(s0 * s2, 1e-300)  # a lone sample, or samples all on one side: keep it
    fitted = values.copy()
    fitted[ok] = (s2[ok, None] * wy[ok] - s1[ok, None] * wdy[ok]) / det[ok, None]
    return fitted
