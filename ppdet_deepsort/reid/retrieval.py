"""Rank-k and mAP of a ReID model on crops of MOT ground truth: every identity's crops at regular frame
intervals are queries, all other crops the gallery, ranked by the cosine distance the tracker uses."""

import numpy as np

__all__ = ['query_mask', 'retrieval_metrics']


def query_mask(labels, frames, interval):
    """Crops that are queries: each identity's crops at its first frame and every ``interval`` frames on."""
    first = np.full(labels.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, labels, frames)
    return (frames - first[labels]) % interval == 0


def retrieval_metrics(features, labels, sequences, frames, queries, exclusion_frames, chunk=512):
    """CMC rank-1 / rank-5 and mAP (in %) of the ``queries`` (boolean mask) against every other crop.

    Gallery crops of the query's own identity within ``exclusion_frames`` frames of it in the same sequence
    are left out (Market-1501's same-camera junk, for one camera). Queries left without a true match are
    not scored.
    """
    features = np.asarray(features, np.float64)
    features /= np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    rank1, rank5, average_precision = [], [], []
    query_ids = np.flatnonzero(queries)
    for start in range(0, len(query_ids), chunk):
        q = query_ids[start:start + chunk]
        distance = 1 - features[q] @ features.T
        same = labels[q][:, None] == labels[None]
        junk = same & (sequences[q][:, None] == sequences[None]) & \
            (np.abs(frames[q][:, None] - frames[None]) <= exclusion_frames)
        junk[np.arange(len(q)), q] = True  # the query itself
        distance[junk] = np.inf
        order = np.argsort(distance, axis=1, kind='stable')
        hits = np.take_along_axis(same & ~junk, order, axis=1)
        positives = hits.sum(axis=1)
        scored = positives > 0
        hits, positives = hits[scored], positives[scored]
        rank1.extend(hits[:, 0])
        rank5.extend(hits[:, :5].any(axis=1))
        precision = np.cumsum(hits, axis=1) / np.arange(1, hits.shape[1] + 1)
        average_precision.extend((precision * hits).sum(axis=1) / positives)
    return {'rank1': 100 * float(np.mean(rank1)) if rank1 else 0., 'rank5': 100 * float(np.mean(rank5)) if rank5
            else 0., 'mAP': 100 * float(np.mean(average_precision)) if average_precision else 0.,
            'queries': len(rank1), 'queries_without_match': int(len(query_ids) - len(rank1)),
            'gallery': int(len(labels)), 'identities': int(len(np.unique(labels)))}
