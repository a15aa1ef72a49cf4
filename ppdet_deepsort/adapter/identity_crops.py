"""Person crops of MOT ground truth for training and evaluating ReID models, registered in ppdet as
``MOTIdentityCrops``, dealt in the P x K batches the triplet loss needs."""

import logging
import os
from typing import List

import cv2
import numpy as np
from paddle.io import get_worker_info
from ppdet.core.workspace import global_config, register, serializable
from ppdet.data.source.dataset import DetDataset

from ..errors import ConfigError, SequenceError
from ..checks import check_types, require
from ..utils.distributed import world
from ..data.ground_truth import PEDESTRIAN, GroundTruth
from ..data.sequence import Sequence

logger = logging.getLogger(__name__)

__all__ = ['MOTIdentityCrops', 'pk_batches']


@register
@serializable
class MOTIdentityCrops(DetDataset):
    """Every ground-truth person box of MOT sequences cut out of its frame; each (sequence, gt id) is one
    identity. Use it as ``TrainDataset: !MOTIdentityCrops {...}`` (and ``EvalDataset`` for rank-1 / mAP) with
    ppdet's ``TrainReader`` / ``EvalReader`` transforms, in ppdet's ``Trainer`` (PaddleDetection's tools/train.py
    and eval.py, or the project's).

    Frames come from ``{seq}/img1/`` or a video file in ``{seq}/``, ground truth from ``{seq}/gt/gt.txt``,
    read with the evaluator's rules: targets only (mark != 0; class 1 in MOT16/17/20 files). Crops are cut once,
    when the dataset is first used, and kept in memory at their size in the frame.

    As the config's ``TrainDataset`` it deals its crops in P x K order, ``TrainReader.batch_size`` = P x K
    crops at a time (:func:`pk_batches`, dealt anew each epoch): ppdet's ``TrainReader`` draws batches with its
    own sampler, which must then keep that order (``shuffle: false``). Each sample is ``image``, ``label`` and,
    for the retrieval metric, the crop's ``sequence`` index and ``frame``.

    Args:
        dataset_dir (str): dataset root. Default 'dataset/mot'.
        data_root (str): sequences folder under ``dataset_dir``. Default 'MOT16/images/train'.
        seqs (list[str]): sequences to use; [] means every folder in ``data_root``. Default [].
        frame_range (list[int]): [first, last] frames to use (e.g. [1, 199] to train, [200, 399] to
            evaluate); [] uses every frame with ground truth. Default [].
        frame_stride (int): use every n-th of those frames (neighbouring frames give near-identical crops).
            Default 1.
        min_visibility (float): drop boxes less visible than this (MOT16/17/20 visibility column; MOT15
            files have none). Default 0.
        min_size (list[int]): drop boxes smaller than [width, height] pixels once clipped to the frame.
            Default [8, 16].
        num_instances (int): K, the crops of each identity in a training batch of P x K (``TrainReader``'s
            ``batch_size`` must be a multiple of it). Default 4.
        query_interval (int): evaluation only: an identity's crops every this many frames are queries, the
            rest of the crops the gallery. Default 10.
        exclusion_frames (int): evaluation only: gallery crops of a query's own identity within this many
            frames of it are left out (in one camera, neighbouring frames would make retrieval trivial).
            Default 5.
    """

    def __init__(self,
                 dataset_dir: str = 'dataset/mot',
                 data_root: str = 'MOT16/images/train',
                 seqs: List[str] = [],
                 frame_range: List[int] = [],
                 frame_stride: int = 1,
                 min_visibility: float = 0.,
                 min_size: List[int] = [8, 16],
                 num_instances: int = 4,
                 query_interval: int = 10,
                 exclusion_frames: int = 5):
        name = type(self).__name__
        check_types(name, MOTIdentityCrops.__init__, locals())
        valid_range = frame_range == [] or (len(frame_range) == 2 and 1 <= frame_range[0] <= frame_range[1])
        require(name, 'frame_range', valid_range, '[] or [first, last] with 1 <= first <= last', frame_range)
        for key, value, low in (('frame_stride', frame_stride, 1), ('num_instances', num_instances, 1),
                                ('query_interval', query_interval, 1), ('exclusion_frames', exclusion_frames, 0)):
            require(name, key, value >= low, 'an int >= {}'.format(low), value)
        require(name, 'min_size', len(min_size) == 2 and min(min_size) >= 1, '[width, height] >= 1', min_size)
        super().__init__(dataset_dir=dataset_dir)
        self.dataset_dir, self.data_root, self.seqs = dataset_dir, data_root, list(seqs)
        self.frame_range, self.frame_stride = list(frame_range), frame_stride
        self.min_visibility, self.min_size = min_visibility, list(min_size)
        self.num_instances, self.query_interval, self.exclusion_frames = num_instances, query_interval, exclusion_frames
        self.transform = None
        self.crops = None  # list of RGB uint8 arrays, with per-crop labels, sequence index and frame below
        self._order = None  # crop of each index in P x K order, when training
        self._passes = 0  # passes over the data begun in this process, each dealt as the epoch of that number
        self._announced = -1  # the last epoch the Trainer announced (set_epoch)
        self._dealt_in_worker = False

    # ppdet's dataset protocol ------------------------------------------------------------------------------
    def check_or_download_dataset(self):
        pass

    def set_epoch(self, epoch):
        """ppdet's Trainer says that ``epoch`` has begun. Its reader read ahead into the epoch before that, in a
        thread, so the order is not dealt here (see :meth:`__getitem__`)."""
        self._announced = epoch

    def parse_dataset(self):
        """Cut the crops (once); as the training set, check that the reader keeps the P x K order."""
        if self.crops is None:
            self._cut()
        if self._training and self._order is None:
            reader = global_config['TrainReader']
            require('TrainReader', 'shuffle', not reader['shuffle'], "false: MOTIdentityCrops deals its crops in "
                    "P x K order itself (K = num_instances crops of each of P identities a batch, which the "
                    "triplet loss needs), and a shuffled sampler would scatter them", reader['shuffle'])
            self._order = self._deal(0)
            batch_size, workers = global_config['TrainReader']['batch_size'], world()[1]
            logger.info("MOTIdentityCrops: batches of {} identities x {} crops, {} a worker per epoch, {} worker(s)"
                        .format(batch_size // self.num_instances, self.num_instances,
                                len(self._order) // batch_size // workers, workers))

    @property
    def num_identities(self):
        """Identities in the data, counted from the ground truth (no frame is decoded)."""
        if self.crops is not None:
            return len(self.identities)
        identities = set()
        for index, seq in enumerate(self._sequences()):
            gt, keep, _ = self._targets(seq)
            identities.update((index, i) for i in gt.track_id[keep].tolist())
        return len(identities)

    @property
    def _training(self):
        """Whether this is the config's TrainDataset: ppdet's Trainer gives a dataset no other sign of it."""
        return global_config.get('TrainDataset') is self

    def _deal(self, epoch):
        """The crops of each index in the P x K batches of ``epoch``, as many batches as every worker can take
        alike (paddle's distributed sampler gives worker ``r`` of ``w`` batches r, r + w, ...)."""
        batch_size = global_config['TrainReader']['batch_size']
        try:
            batches = pk_batches(self.labels, batch_size, self.num_instances, epoch)
        except ValueError as e:
            raise ConfigError(str(e)) from None
        workers = world()[1]
        if len(batches) < workers:
            raise ConfigError("TrainReader.batch_size {}: the {} crops make {} batch(es) of {} identities x {}, "
                              "fewer than the {} workers".format(batch_size, len(self.crops), len(batches),
                                                                 batch_size // self.num_instances, self.num_instances,
                                                                 workers))
        return np.concatenate(batches[:len(batches) // workers * workers])

    def _sequences(self):
        root = os.path.join(self.dataset_dir, self.data_root)
        names = self.seqs or (sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
                              if os.path.isdir(root) else [])
        if not names:
            raise SequenceError("MOTIdentityCrops: no sequences in {} (dataset_dir/data_root, seqs)".format(root))
        return [Sequence.from_dir(os.path.join(root, name)) for name in names]

    def _cut(self):
        sequences = self._sequences()
        crops, keys, frames = [], [], []
        for index, seq in enumerate(sequences):
            for frame_id, gt_id, crop in self._sequence_crops(seq):
                crops.append(crop)
                keys.append((index, gt_id))
                frames.append(frame_id)
        identities = sorted(set(keys))
        root = os.path.join(self.dataset_dir, self.data_root)
        if len(identities) < 2:
            raise SequenceError("MOTIdentityCrops: {} identit{} in {} (sequences {}, frames {}): a ReID model "
                                "needs at least 2 to learn to tell people apart".format(
                                    len(identities), 'y' if len(identities) == 1 else 'ies', root,
                                    ', '.join(seq.name for seq in sequences), self.frame_range or 'all'))
        label_of = {key: label for label, key in enumerate(identities)}
        self.crops = crops
        self.labels = np.array([label_of[k] for k in keys], np.int64)
        self.frames = np.array(frames, np.int64)
        self.sequence_index = np.array([s for s, _ in keys], np.int64)
        self.identities = ['{}:{}'.format(sequences[s].name, i) for s, i in identities]
        logger.info("MOTIdentityCrops: {} crops of {} identities from {} sequence(s) in {} (frames {})".format(
            len(crops), len(identities), len(sequences), root, self.frame_range or 'all'))

    def _targets(self, seq):
        """(ground truth, its rows that become crops, their clipped boxes x1 y1 x2 y2) of ``seq``: targets (the
        evaluator's rules) in the frames and visibility asked for, at least ``min_size`` once clipped to the
        frame."""
        if seq.gt_path is None or not os.path.isfile(seq.gt_path):
            raise SequenceError("MOTIdentityCrops: sequence {} has no ground truth ({}/gt/gt.txt): identities "
                                "come from it".format(seq.name, os.path.join(self.dataset_dir, self.data_root,
                                                                             seq.name)))
        if not seq.has_pixels:
            raise SequenceError("MOTIdentityCrops: sequence {} has no frames (img1/ or a video file): crops are "
                                "cut from them".format(seq.name))
        gt = GroundTruth(seq.gt_path, seq.name)
        keep = gt.mark != 0
        if gt.layout == 'MOT16':
            keep &= (gt.cls == PEDESTRIAN) & (gt.visibility >= self.min_visibility)
        first, last = self.frame_range or (1, gt.last_frame)
        keep &= (gt.frame >= first) & (gt.frame <= min(last, seq.num_frames)) & \
            ((gt.frame - first) % self.frame_stride == 0)
        w, h = seq.im_size
        x, y, bw, bh = gt.tlwh.T
        boxes = np.round(np.stack([np.maximum(x, 0), np.maximum(y, 0), np.minimum(x + bw, w),
                                   np.minimum(y + bh, h)], axis=1)).astype(np.int64)
        keep &= (boxes[:, 2] - boxes[:, 0] >= self.min_size[0]) & (boxes[:, 3] - boxes[:, 1] >= self.min_size[1])
        return gt, keep, boxes

    def _sequence_crops(self, seq):
        """(frame id, gt id, RGB crop) of every target box of ``seq`` the keys let through."""
        gt, keep, boxes = self._targets(seq)
        wanted = set(gt.frame[keep].tolist())
        if not wanted:
            return
        for frame_id, image in seq.read():
            if frame_id > max(wanted):
                break
            if frame_id not in wanted:
                continue
            rows = gt.rows_of(frame_id)
            for row in np.flatnonzero(keep[rows]) + rows.start:
                x1, y1, x2, y2 = boxes[row]
                yield frame_id, int(gt.track_id[row]), cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2RGB)

    def __len__(self):
        self.parse_dataset()
        return len(self._order) if self._training else len(self.crops)

    def __getitem__(self, index):
        if self._training:
            # Each pass over the data (read in order, from index 0) is dealt as the next epoch. A loader worker is
            # a copy of the dataset made for one pass as the previous epoch began: it deals the epoch after that.
            if get_worker_info() is not None:
                if not self._dealt_in_worker:
                    self._order, self._dealt_in_worker = self._deal(self._announced + 1), True
            elif index == 0:
                self._order = self._deal(self._passes)
                self._passes += 1
            index = self._order[index]
        crop = self.crops[index]
        h, w = crop.shape[:2]
        # a sample as ppdet's Decode leaves it; gt_bbox, the whole crop, is where RandomErasingImage erases
        sample = {'image': crop.copy(), 'im_shape': np.array([h, w], np.float32),
                  'scale_factor': np.ones(2, np.float32), 'gt_bbox': np.array([[0, 0, w, h]], np.float32),
                  'label': self.labels[index]}
        if self.transform is not None:
            sample = self.transform(sample)
        return {'image': sample['image'], 'label': sample['label'], 'im_id': np.array([index]),
                'sequence': self.sequence_index[index], 'frame': self.frames[index]}


def pk_batches(labels, batch_size, num_instances, epoch, seed=0):
    """The batches of one epoch: P = ``batch_size`` / K identities of K = ``num_instances`` crops each.

    Each identity's crops are shuffled and dealt out K at a time (an identity with fewer than K crops, or a last
    group short of K, is filled with repeats of its own crops); each batch takes one group from each of the P
    identities with the most groups left (ties drawn at random), which makes as many batches as the groups
    allow, the same number every epoch; the batches come in random order. Deterministic per (seed, epoch).

    Returns:
        list of arrays of ``batch_size`` crop indices.
    """
    if batch_size % num_instances or batch_size < 2 * num_instances:
        raise ValueError("TrainReader.batch_size {} must be a multiple of TrainDataset.num_instances {} and "
                         "hold at least 2 identities".format(batch_size, num_instances))
    labels = np.asarray(labels)
    per_batch, k = batch_size // num_instances, num_instances
    identities = np.unique(labels)
    if per_batch > len(identities):
        raise ValueError("TrainReader.batch_size {} asks for {} identities per batch but the data has {}".format(
            batch_size, per_batch, len(identities)))
    rng = np.random.RandomState(seed + epoch)
    groups = []
    for label in identities:
        members = rng.permutation(np.flatnonzero(labels == label))
        if len(members) % k:
            members = np.concatenate([members, rng.choice(members, k - len(members) % k)])
        groups.append(list(members.reshape(-1, k)))
    left = np.array([len(g) for g in groups])
    batches = []
    while (left > 0).sum() >= per_batch:
        tie_break = rng.random_sample(len(left))
        chosen = np.lexsort((tie_break, -left))[:per_batch]
        batches.append(np.concatenate([groups[i][left[i] - 1] for i in chosen]))
        left[chosen] -= 1
    return [batches[i] for i in rng.permutation(len(batches))]
