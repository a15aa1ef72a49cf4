"""Rank-k and mAP of a ReID model on crops of MOT ground truth: every identity's crops at regular frame
intervals are queries, all other crops the gallery, ranked by the cosine distance the tracker uses. As ppdet's
``metric: ReID`` (:class:`RetrievalMetric`) it is what ppdet's Trainer reports when it evaluates a ReIDClassifier."""

import json
import logging
import os

import numpy as np
from ppdet.metrics import Metric

from ..utils.atomic import atomic_write

logger = logging.getLogger(__name__)

__all__ = ['query_mask', 'retrieval_metrics', 'RetrievalMetric']


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


class RetrievalMetric(Metric):
    """Retrieval metrics of the embeddings a model gives for a :class:`MOTIdentityCrops` evaluation set, read in
    its order, with its ``query_interval`` and ``exclusion_frames``. Each result is logged and saved: written to
    the JSON file ``path``, or, given ``epoch`` (a callable: the training's current epoch), appended with it to the
    JSON list there (one entry per evaluation of a training).

    ``get_results`` also gives the mAP under 'bbox', the key by which ppdet's Checkpointer keeps
    ``best_model.pdparams`` (ppdet knows no other key for a metric it has not heard of).
    """

    def __init__(self, dataset, path, epoch=None):
        self.dataset, self.path, self.epoch = dataset, path, epoch
        self.results = {}
        self.reset()

    def reset(self):
        self._features, self._labels, self._sequences, self._frames = [], [], [], []

    def update(self, inputs, outputs):
        self._features.append(np.asarray(outputs['embeddings']))
        for store, key in ((self._labels, 'label'), (self._sequences, 'sequence'), (self._frames, 'frame')):
            store.append(np.asarray(inputs[key]).reshape(-1))

    def accumulate(self):
        labels, frames = np.concatenate(self._labels), np.concatenate(self._frames)
        self.results = retrieval_metrics(np.concatenate(self._features), labels, np.concatenate(self._sequences),
                                         frames, query_mask(labels, frames, self.dataset.query_interval),
                                         self.dataset.exclusion_frames)
        saved = self.results
        if self.epoch is not None:
            saved = []
            if os.path.isfile(self.path):
                with open(self.path) as f:
                    saved = json.load(f)
            saved.append(dict(self.results, epoch=self.epoch()))
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        with atomic_write(self.path) as f:
            json.dump(saved, f, indent=2)

    def log(self):
        logger.info("ReID on EvalDataset: rank-1 {rank1:.1f}%, rank-5 {rank5:.1f}%, mAP {mAP:.1f}% ({queries} "
                    "queries, {gallery} crops, {identities} identities)".format(**self.results))

    def get_results(self):
        return dict(self.results, bbox=[self.results['mAP'] / 100])
