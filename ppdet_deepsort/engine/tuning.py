"""Tuning the tracker's keys on one's own annotated sequences (``tools/tune_tracker.py``).

Each sequence's detections, and its appearance embeddings when the run has a ReID model, are read or computed once
(the embeddings cached on disk per sequence and model); each trial then runs the tracker alone over them and scores
its tracks against the ground truth, so a trial costs the tracker's time, not the models'. The choice guards
against fitting the sequences it was made on:

* the chosen setting is the one whose worst shortfall on any sequence, against the best trial there, is smallest
  (``choose='worst'``, the project's own procedure for its defaults) or the best mean (``choose='mean'``);
* for each sequence, the choice is also made on the others alone and scored on the one left out, beside the
  config's own setting there: the mean of those scores is the held-out estimate, and its gap to the in-sample score
  says how much the choice fitted.

The settings tried are a grid (:func:`trials`) or, with Optuna installed, those its TPE sampler proposes
(:func:`optuna_search`), scored as they come. Either way the choice and the held-out estimate are made on the table
of trials; with Optuna, the sampler has seen every sequence while proposing, so the estimate is a little optimistic.
"""

import hashlib
import itertools
import logging
import multiprocessing
import os
import pickle
import random

import numpy as np
from tqdm import tqdm

from ..boxes import pred_dets
from ..data import GroundTruth
from ..errors import ConfigError
from ..metrics import evaluate
from ..tracker import FastDeepSORTTracker
from ..utils.atomic import atomic_write

logger = logging.getLogger(__name__)

__all__ = ['TuningData', 'trials', 'optuna_search', 'leave_one_out', 'choose', 'DEFAULT_SPACE', 'score_all']

# What is searched unless told otherwise, per mode: keys that change association and births the most on the dev
# split (docs/quality.md).
DEFAULT_SPACE = {
    False: {'max_age': [35, 70, 140], 'n_init': [2, 3, 4], 'motion_matching_threshold': [0.6, 0.7, 0.8],
            'new_track_threshold': [0., 0.7, 0.8]},
    True: {'max_age': [30, 70, 150], 'n_init': [2, 3, 4], 'matching_threshold': [0.15, 0.2, 0.3],
           'max_iou_distance': [0.7, 0.9]},
}


class TuningData:
    """The sequences of a run with ground truth, their detections and (with a ReID model) embeddings, in memory.

    Args:
        sequences (MOTSequences): the run's sequences (those without ground truth are left out).
        embedder (ReIDEmbedder or None): computes the embeddings once per sequence; None tracks on motion alone.
        cache_dir (str or None): where embeddings are kept between runs, per sequence and ``model_key``.
        model_key (str): what the embeddings depend on (the model's weights digest and crop size).
    """

    def __init__(self, sequences, embedder=None, cache_dir=None, model_key=''):
        self.items = []  # (name, frame rate, GroundTruth, scored frames, [(frame id, pred_dets, embeddings)])
        for name in sequences.sequences():
            seq = sequences.sequence(name)
            if seq.gt_path is None:
                logger.info("{}: no ground truth, left out of the tuning".format(name))
                continue
            frames = self._frames(sequences, seq, embedder, cache_dir, model_key)
            scored = [f for f in seq.frame_ids if seq.gt_frames is None or seq.gt_frames[0] <= f <= seq.gt_frames[1]]
            self.items.append((name, seq.frame_rate, GroundTruth(seq.gt_path, name), scored, frames))
        if not self.items:
            raise ValueError('no sequence with ground truth (gt/gt.txt) to tune on')
        self.with_appearance = embedder is not None

    @property
    def names(self):
        return [item[0] for item in self.items]

    @staticmethod
    def _frames(sequences, seq, embedder, cache_dir, model_key):
        path = None
        if embedder is not None and cache_dir:
            digest = hashlib.sha1('{}|{}|{}'.format(seq.name, model_key, sequences.det_results_dir).encode())
            path = os.path.join(cache_dir, '{}_{}.pkl'.format(seq.name, digest.hexdigest()[:12]))
            if os.path.isfile(path):
                with open(path, 'rb') as f:
                    return pickle.load(f)
        frames = []
        for frame_id, image, tlwh, score, classes in tqdm(sequences.frames(seq, with_images=embedder is not None),
                                                          total=len(seq.frame_ids), desc=seq.name, leave=False):
            frames.append((frame_id, pred_dets(tlwh, score, classes),
                           None if embedder is None else embedder(image, tlwh)))
        if path is not None:
            os.makedirs(cache_dir, exist_ok=True)
            with atomic_write(path, 'wb') as f:
                pickle.dump(frames, f)
        return frames

    def score(self, keys, metric='HOTA'):
        """{sequence: metric} of the tracker with ``keys`` (its constructor keys) on each sequence."""
        scored = []
        for name, frame_rate, gt, frames_scored, frames in self.items:
            tracker = FastDeepSORTTracker(**keys).in_mode(self.with_appearance).at_frame_rate(frame_rate)
            results = {}
            for frame_id, pred, embeddings in frames:
                tracker.predict()
                tracker.update(pred, embeddings)
                results[frame_id] = tracker.outputs()
            scored.append((name, gt, results, frames_scored))
        rows = evaluate(scored).rows
        return {name: float(rows[name][metric]) for name in self.names}


_DATA = None  # the data of score_all's worker processes, which fork with it


def _score(args):
    return _DATA.score(*args)


def score_all(data, settings, metric='HOTA', workers=1, progress=True):
    """[{sequence: metric}] of each setting, in ``workers`` processes (forked: the data is shared, not copied), with
    a progress bar or not."""
    global _DATA
    if workers <= 1 or len(settings) < 2:
        return [data.score(s, metric) for s in tqdm(settings, desc='trials', leave=False, disable=not progress)]
    _DATA = data
    try:
        with multiprocessing.get_context('fork').Pool(workers) as pool:
            scores = list(tqdm(pool.imap(_score, [(s, metric) for s in settings]), total=len(settings),
                               desc='trials', leave=False, disable=not progress))
            # Let the workers end on their own: paddle, imported in the parent, reports a worker it was sent
            # SIGTERM (the pool's exit) as a fatal error.
            pool.close()
            pool.join()
        return scores
    finally:
        _DATA = None


def trials(space, base, limit=None, seed=0, valid=lambda setting: True):
    """The settings to try: every combination of ``space`` ({key: [values]}) over ``base`` (the config's keys) that is
    ``valid``, the config's own setting first; at most ``limit`` of them (the config's and a seeded random sample of
    the rest)."""
    keys = sorted(space)
    grid = [dict(base, **dict(zip(keys, values))) for values in itertools.product(*(space[k] for k in keys))]
    grid = [base] + [g for g in grid if g != base and valid(g)]
    if limit is not None and len(grid) > limit:
        grid = [grid[0]] + random.Random(seed).sample(grid[1:], limit - 1)
    return grid


def optuna_search(data, space, base, limit, metric='HOTA', rule='worst', workers=1, seed=0,
                  valid=lambda setting: True):
    """Settings proposed by Optuna's TPE sampler over ``space`` ({key: [values]}, each key categorical, the config's
    value among them) and their scores, as :func:`trials` and :func:`score_all` give them: the config's setting
    first, then up to ``limit`` - 1 more, distinct and ``valid``, ``workers`` scored at a time. The sampler maximises
    the mean score (``rule`` 'mean') or the smallest gain over the config's score on any sequence ('worst').

    Returns:
        (settings, scores)
    """
    try:
        import optuna
    except ImportError:
        raise ConfigError("--sampler optuna needs Optuna: pip install optuna (or the plugin's [tune] extra)") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    keys = sorted(space)
    choices = {k: list(dict.fromkeys([base[k]] + list(space[k]))) for k in keys}
    study = optuna.create_study(direction='maximize', sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial({k: base[k] for k in keys})
    settings, scores, asked = [], [], 0
    progress = tqdm(total=limit, desc='trials', leave=False)
    while len(settings) < limit and asked < 20 * limit:
        batch = []
        while len(batch) < max(1, workers) and len(settings) + len(batch) < limit and asked < 20 * limit:
            asked += 1
            trial = study.ask()
            setting = dict(base, **{k: trial.suggest_categorical(k, choices[k]) for k in keys})
            if valid(setting) and setting not in settings and setting not in [s for _, s in batch]:
                batch.append((trial, setting))
            else:  # a repeat, or keys that make no tracker: told as pruned, so the sampler moves on
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        for (trial, setting), score in zip(batch, score_all(data, [s for _, s in batch], metric, workers, False)):
            settings.append(setting)
            scores.append(score)
            values = [score[n] - (scores[0][n] if rule == 'worst' else 0.) for n in score]
            study.tell(trial, float(min(values) if rule == 'worst' else np.mean(values)))
        progress.update(len(batch))
    progress.close()
    return settings, scores


def choose(scores, among, rule='worst'):
    """The index of the chosen trial on the sequences ``among``: smallest worst shortfall from the best trial on
    each sequence ('worst') or highest mean ('mean'); ties go to the earlier trial (the config's first)."""
    if rule == 'mean':
        values = [-np.mean([s[n] for n in among]) for s in scores]
    else:
        best = {n: max(s[n] for s in scores) for n in among}
        values = [max(best[n] - s[n] for n in among) for s in scores]
    return int(np.argmin(values))


def leave_one_out(scores, names, rule='worst'):
    """For each sequence: the trial chosen on the others, its score there and the config's (trial 0)."""
    report = {}
    for name in names:
        others = [n for n in names if n != name]
        if not others:
            continue
        k = choose(scores, others, rule)
        report[name] = {'trial': k, 'score': scores[k][name], 'config_score': scores[0][name]}
    return report
