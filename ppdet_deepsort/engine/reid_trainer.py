"""Training a ReID model from a config, as ppdet's ``Trainer`` trains detectors: ppdet's ``TrainReader``,
``LearningRate`` and ``OptimizerBuilder``, its log line, its checkpoint names and resuming, data-parallel under
``paddle.distributed.launch``; what is ReID's own is the identity-crop data, P x K batches, the losses and the
rank-1 / mAP evaluation."""

import io
import json
import os
import time
import types

import numpy as np
import paddle
from paddle.io import BatchSampler
from ppdet.core.workspace import create
from ppdet.engine.callbacks import LogPrinter
from ppdet.utils.logger import setup_logger
from ppdet.utils.stats import SmoothedValue, TrainingStats

from ..data.identity_crops import MOTIdentityCrops, PKBatchSampler
from ..reid.embedder import DygraphReID, fast_reid
from ..reid.retrieval import query_mask, retrieval_metrics
from ..reid.weights import WeightsError, load_state_dict
from ..utils.atomic import atomic_write
from ..utils.config import ConfigError, build, require
from ..utils.distributed import cpu_threads, world
from .detector import input_shape

logger = setup_logger(__name__)

__all__ = ['ReIDTrainer', 'evaluate_retrieval']


class ReIDTrainer:
    """Trains ``cfg['architecture']`` (a ``ReIDClassifier``) on ``cfg['TrainDataset']``.

    Args:
        cfg (dict): the loaded config; keys ``epoch``, ``snapshot_epoch``, ``save_dir``, ``pretrain_weights``,
            ``log_iter``, ``worker_num``, ``TrainReader``, ``LearningRate``, ``OptimizerBuilder``, and
            ``EvalDataset`` / ``EvalReader`` for evaluation.
        name (str): the config's name: checkpoints go to ``{save_dir}/{name}/``.
    """

    def __init__(self, cfg, name):
        self.cfg, self.name = cfg, name
        for key in ('epoch', 'snapshot_epoch', 'log_iter'):
            require('config', key, isinstance(cfg.get(key), int) and cfg[key] >= 1, 'an int >= 1', cfg.get(key))
        dataset = cfg.get('TrainDataset')
        require('config', 'TrainDataset', isinstance(dataset, MOTIdentityCrops), 'a !MOTIdentityCrops dataset',
                dataset)
        self.rank, self.world = world()
        self.save_dir = os.path.join(cfg.get('save_dir', 'output'), name)
        self.dataset = dataset
        dataset.parse_dataset()
        self.model = build(cfg['architecture'], 'architecture')
        self.model.set_identities(dataset.num_identities)
        if cfg.get('pretrain_weights') not in (None, '', 'None'):
            load_state_dict(self.model.embedding, cfg['pretrain_weights'], 'pretrain_weights')
        try:
            sampler = PKBatchSampler(dataset.labels, cfg['TrainReader']['batch_size'], dataset.num_instances,
                                     self.rank, self.world)
        except ValueError as e:
            raise ConfigError(str(e)) from None
        self.sampler = sampler
        self.loader = create('TrainReader')(dataset, cfg.get('worker_num', 0), sampler)
        if not len(self.loader):
            raise ConfigError("TrainReader.batch_size {}: the {} crops make no full batch per worker".format(
                cfg['TrainReader']['batch_size'], len(dataset)))
        self.lr = create('LearningRate')(len(self.loader))
        self.optimizer = create('OptimizerBuilder')(self.lr, self.model)
        self.start_epoch = 0
        self.network = paddle.DataParallel(self.model) if self.world > 1 else self.model
        logger.info("Training {} on {} identities, {} crops: {} batches of {} a worker per epoch, {} worker(s)"
                    .format(type(self.model.embedding).__name__, dataset.num_identities, len(dataset),
                            len(self.loader), cfg['TrainReader']['batch_size'], self.world))

    def resume(self, checkpoint):
        """Continue from ``checkpoint`` ({save_dir}/{name}/{epoch}, without extension): its weights, heads,
        optimizer and learning-rate schedule, at the epoch after it."""
        load_state_dict(self.model.embedding, checkpoint, 'resume')
        path = (checkpoint[:-len('.pdparams')] if checkpoint.endswith('.pdparams') else checkpoint) + '.pdopt'
        if not os.path.isfile(path):
            raise WeightsError("resume: {} not found beside the weights (optimizer and schedule state)".format(path))
        state = paddle.load(path)
        if state['identities'] != self.dataset.num_identities:
            raise WeightsError("resume: {} was trained on {} identities, this TrainDataset has {}".format(
                path, state['identities'], self.dataset.num_identities))
        if self.model.classifier is not None:
            self.model.classifier.set_state_dict(state['heads'])
        self.optimizer.set_state_dict(state['optimizer'])
        self.start_epoch = state['last_epoch'] + 1
        logger.info("Resumed from {} (epoch {} done)".format(checkpoint, state['last_epoch']))

    def train(self, validate=False):
        """Train to ``epoch`` epochs; snapshot every ``snapshot_epoch`` (and evaluate, with ``validate``)."""
        cfg, epochs = self.cfg, self.cfg['epoch']
        owner = types.SimpleNamespace(cfg=cfg)  # what ppdet's LogPrinter reads
        printer = LogPrinter(owner)
        stats = TrainingStats(cfg['log_iter'])
        batch_time, data_time = SmoothedValue(fmt='{avg:.4f}'), SmoothedValue(fmt='{avg:.4f}')
        results = []
        for epoch in range(self.start_epoch, epochs):
            self.sampler.set_epoch(epoch)
            self.model.train()  # the inner model: its train() keeps frozen batch norms frozen
            tick = time.time()
            for step, batch in enumerate(self.loader):
                data_time.update(time.time() - tick)
                outputs = self.network(batch)
                outputs['loss'].backward()
                self.optimizer.step()
                learning_rate = self.optimizer.get_lr()
                self.lr.step()
                self.optimizer.clear_grad()
                stats.update(outputs)
                batch_time.update(time.time() - tick)
                printer.on_step_end({'mode': 'train', 'epoch_id': epoch, 'step_id': step,
                                     'steps_per_epoch': len(self.loader), 'training_staus': stats,
                                     'batch_time': batch_time, 'data_time': data_time,
                                     'learning_rate': learning_rate})
                tick = time.time()
            last = epoch == epochs - 1
            if (epoch + 1) % cfg['snapshot_epoch'] == 0 or last:
                if self.rank == 0:
                    self._save('model_final' if last else str(epoch), epoch)
                    if validate:
                        results.append(dict(self.evaluate(), epoch=epoch))
                        with atomic_write(os.path.join(self.save_dir, 'eval_results.json')) as f:
                            json.dump(results, f, indent=2)
                if self.world > 1:
                    paddle.distributed.barrier()
        logger.info("Training done: {}".format(os.path.join(self.save_dir, 'model_final.pdparams')))
        return results

    def _save(self, name, epoch):
        os.makedirs(self.save_dir, exist_ok=True)
        prefix = os.path.join(self.save_dir, name)
        for suffix, obj in (('.pdparams', self.model.embedding.state_dict()),
                            ('.pdopt', {'optimizer': self.optimizer.state_dict(), 'heads': self.model.head_state(),
                                        'last_epoch': epoch, 'identities': self.dataset.num_identities})):
            buffer = io.BytesIO()
            paddle.save(obj, buffer)
            with atomic_write(prefix + suffix, 'wb') as f:
                f.write(buffer.getvalue())
        logger.info("Saved {}.pdparams (the embedding model: use it as reid_weights) and {}.pdopt (training "
                    "state, for -r)".format(prefix, prefix))

    def evaluate(self):
        """Rank-1, rank-5 and mAP of the embedding model on ``EvalDataset`` (see :mod:`..reid.retrieval`)."""
        return evaluate_retrieval(self.cfg, self.model.embedding)


def evaluate_retrieval(cfg, embedding):
    """Retrieval metrics of ``embedding`` on the config's ``EvalDataset`` through its ``EvalReader``, the model
    run as the tracking tools run it (``reid_backend``; the fast path in fp32, so results repeat everywhere)."""
    dataset = cfg.get('EvalDataset')
    require('config', 'EvalDataset', isinstance(dataset, MOTIdentityCrops), 'a !MOTIdentityCrops dataset for --eval',
            dataset)
    dataset.parse_dataset()
    reader = create('EvalReader')
    loader = reader(dataset, cfg.get('worker_num', 0), BatchSampler(dataset, batch_size=reader.batch_size))
    embedding.eval()
    if cfg.get('reid_backend', 'inference') == 'inference':
        _, height, width = input_shape(cfg['EvalReader'])
        model = fast_reid(embedding, [width, height], 'GPU' if cfg.get('use_gpu') else 'CPU', 'fp32',
                          cpu_threads(int(cfg.get('cpu_threads', 0))))
    else:
        model = DygraphReID(embedding)
    features = [model(batch['image'].numpy()) for batch in loader]
    metrics = retrieval_metrics(np.concatenate(features), dataset.labels, dataset.sequence_index, dataset.frames,
                                query_mask(dataset.labels, dataset.frames, dataset.query_interval),
                                dataset.exclusion_frames)
    logger.info("ReID on EvalDataset: rank-1 {rank1:.1f}%, rank-5 {rank5:.1f}%, mAP {mAP:.1f}% ({queries} queries, "
                "{gallery} crops, {identities} identities)".format(**metrics))
    return metrics
