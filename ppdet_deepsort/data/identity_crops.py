"""Person crops of MOT ground truth for training and evaluating ReID models, registered in ppdet as
``MOTIdentityCrops``, and the P x K batch sampler the triplet loss needs."""

import os
from typing import List

import cv2
import numpy as np
from ppdet.core.workspace import register, serializable
from ppdet.utils.logger import setup_logger

from ..metrics.ground_truth import PEDESTRIAN, GroundTruth
from ..utils.config import check_types, require
from .sequence import Sequence, SequenceError

logger = setup_logger(__name__)

__all__ = ['MOTIdentityCrops', 'PKBatchSampler']


@register
@serializable
class MOTIdentityCrops:
    """Every ground-truth person box of MOT sequences cut out of its frame; each (sequence, gt id) is one
    identity. Use it as ``TrainDataset: !MOTIdentityCrops {...}`` (and ``EvalDataset`` for rank-1 / mAP) with
    ppdet's ``TrainReader`` / ``EvalReader`` transforms.

    Frames come from ``{seq}/img1/`` or a video file in ``{seq}/``, ground truth from ``{seq}/gt/gt.txt``,
    read with the evaluator's rules: targets only (mark != 0; class 1 in MOT16/17/20 files). Crops are cut once,
    when the dataset is first used, and kept in memory at their size in the frame.

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
        self.dataset_dir, self.data_root, self.seqs = dataset_dir, data_root, list(seqs)
        self.frame_range, self.frame_stride = list(frame_range), frame_stride
        self.min_visibility, self.min_size = min_visibility, list(min_size)
        self.num_instances, self.query_interval, self.exclusion_frames = num_instances, query_interval, exclusion_frames
        self.transform = None
        self.crops = None  # list of RGB uint8 arrays, with per-crop labels, sequence index and frame below

    # ppdet's readers call these on a dataset --------------------------------------------------------------
    def check_or_download_dataset(self):
        pass

    def set_kwargs(self, **kwargs):
        pass

    def set_transform(self, transform):
        self.transform = transform

    def set_epoch(self, epoch):
        pass

    def parse_dataset(self):
        """Cut the crops (once)."""
        if self.crops is not None:
            return
        root = os.path.join(self.dataset_dir, self.data_root)
        names = self.seqs or (sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
                              if os.path.isdir(root) else [])
        if not names:
            raise SequenceError("MOTIdentityCrops: no sequences in {} (dataset_dir/data_root, seqs)".format(root))
        crops, keys, frames = [], [], []
        for index, name in enumerate(names):
            for frame_id, gt_id, crop in self._sequence_crops(Sequence.from_dir(os.path.join(root, name))):
                crops.append(crop)
                keys.append((index, gt_id))
                frames.append(frame_id)
        identities = sorted(set(keys))
        if len(identities) < 2:
            raise SequenceError("MOTIdentityCrops: {} identit{} in {} (sequences {}, frames {}): a ReID model "
                                "needs at least 2 to learn to tell people apart".format(
                                    len(identities), 'y' if len(identities) == 1 else 'ies', root, ', '.join(names),
                                    self.frame_range or 'all'))
        label_of = {key: label for label, key in enumerate(identities)}
        self.crops = crops
        self.labels = np.array([label_of[k] for k in keys], np.int64)
        self.frames = np.array(frames, np.int64)
        self.sequence_index = np.array([s for s, _ in keys], np.int64)
        self.identities = ['{}:{}'.format(names[s], i) for s, i in identities]
        logger.info("MOTIdentityCrops: {} crops of {} identities from {} sequence(s) in {} (frames {})".format(
            len(crops), len(identities), len(names), root, self.frame_range or 'all'))

    @property
    def num_identities(self):
        self.parse_dataset()
        return len(self.identities)

    def _sequence_crops(self, seq):
        """(frame id, gt id, RGB crop) of every target box of ``seq`` the keys let through."""
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
        keep &= (gt.frame >= first) & (gt.frame <= last) & ((gt.frame - first) % self.frame_stride == 0)
        wanted = set(gt.frame[keep].tolist())
        if not wanted:
            return
        for frame_id, image in seq.read():
            if frame_id > max(wanted):
                break
            if frame_id not in wanted:
                continue
            rows = gt.rows_of(frame_id)
            rows = np.flatnonzero(keep[rows]) + rows.start
            h, w = image.shape[:2]
            for row in rows:
                x, y, bw, bh = gt.tlwh[row]
                x1, y1 = int(round(max(x, 0))), int(round(max(y, 0)))
                x2, y2 = int(round(min(x + bw, w))), int(round(min(y + bh, h)))
                if x2 - x1 >= self.min_size[0] and y2 - y1 >= self.min_size[1]:
                    yield frame_id, int(gt.track_id[row]), cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2RGB)

    def __len__(self):
        self.parse_dataset()
        return len(self.crops)

    def __getitem__(self, index):
        crop = self.crops[index]
        h, w = crop.shape[:2]
        # a sample as ppdet's Decode leaves it; gt_bbox, the whole crop, is where RandomErasingImage erases
        sample = {'image': crop.copy(), 'im_shape': np.array([h, w], np.float32),
                  'scale_factor': np.ones(2, np.float32), 'gt_bbox': np.array([[0, 0, w, h]], np.float32),
                  'label': self.labels[index]}
        if self.transform is not None:
            sample = self.transform(sample)
        return {'image': sample['image'], 'label': sample['label']}


class PKBatchSampler:
    """Batches of P identities x K crops each (``num_instances``), for the batch-hard triplet loss: every
    epoch each identity's crops are shuffled and dealt out K at a time (an identity with fewer than K crops,
    or a last group short of K, is filled with repeats of its own crops), and the groups are drawn P at a time
    from distinct identities. Under ``paddle.distributed.launch`` worker ``rank`` of ``world`` takes every
    ``world``-th batch, all workers the same number.

    Args:
        labels (ndarray): identity of each crop.
        batch_size (int): P x K.
        num_instances (int): K.
    """

    def __init__(self, labels, batch_size, num_instances, rank=0, world=1, seed=0):
        if batch_size % num_instances or batch_size < 2 * num_instances:
            raise ValueError("TrainReader.batch_size {} must be a multiple of TrainDataset.num_instances {} and "
                             "hold at least 2 identities".format(batch_size, num_instances))
        self.labels = np.asarray(labels)
        self.num_instances, self.identities_per_batch = num_instances, batch_size // num_instances
        if self.identities_per_batch > len(np.unique(self.labels)):
            raise ValueError("TrainReader.batch_size {} asks for {} identities per batch but the data has {}".format(
                batch_size, self.identities_per_batch, len(np.unique(self.labels))))
        self.rank, self.world, self.seed, self.epoch = rank, world, seed, 0
        self._batches = None

    def set_epoch(self, epoch):
        self.epoch = epoch
        self._batches = None

    def _all_batches(self):
        rng = np.random.RandomState(self.seed + self.epoch)
        k = self.num_instances
        groups = {}  # identity -> list of K-crop groups
        for label in np.unique(self.labels):
            members = rng.permutation(np.flatnonzero(self.labels == label))
            if len(members) % k:
                members = np.concatenate([members, rng.choice(members, k - len(members) % k)])
            groups[label] = list(members.reshape(-1, k))
        batches = []
        while len(groups) >= self.identities_per_batch:
            chosen = rng.choice(sorted(groups), self.identities_per_batch, replace=False)
            batch = []
            for label in chosen:
                batch.extend(groups[label].pop().tolist())
                if not groups[label]:
                    del groups[label]
            batches.append(batch)
        return batches

    def _mine(self):
        if self._batches is None:
            batches = self._all_batches()
            per_worker = len(batches) // self.world
            self._batches = batches[self.rank:per_worker * self.world:self.world]
        return self._batches

    def __iter__(self):
        return iter(self._mine())

    def __len__(self):
        return len(self._mine())
