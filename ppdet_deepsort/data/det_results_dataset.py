"""The precomputed-detection dataset, registered in ppdet as ``MOTDetResultsDataset``."""

import os
from typing import List, Optional

import numpy as np
from ppdet.core.workspace import register, serializable
from ppdet.utils.logger import setup_logger

from ..utils.config import check_types, require
from .det_file import load_detections
from .sequence import Sequence, SequenceError

logger = setup_logger(__name__)

__all__ = ['MOTDetResultsDataset']


@register
@serializable
class MOTDetResultsDataset:
    """MOT sequences paired with saved detections, one file ``{det_results_dir}/{seq}.txt`` per sequence.

    Use it as ``EvalMOTDataset: !MOTDetResultsDataset {...}`` (sequences of a dataset folder) or
    ``TestMOTDataset: !MOTDetResultsDataset {...}`` (one video or image folder, set by the tools'
    ``--video_file`` / ``--image_dir``). Frames come from ``{seq}/img1/``, a video file in ``{seq}/``, or
    nowhere (motion-only tracking needs no pixels: the length is then ``seqLength`` of seqinfo.ini).
    Detection file layouts: see :mod:`ppdet_deepsort.data.det_file`.

    Args:
        dataset_dir (str): dataset root. Default 'dataset/mot'.
        data_root (str): sequences folder under ``dataset_dir``. Default 'MOT16/images/train'.
        det_results_dir (str): folder of ``{seq}.txt`` detection files; the tools' ``--det_results_dir``
            overrides it. '' means detections come from a detector instead. Default ''.
        seqs (list[str]): sequences to use; [] means every folder in ``data_root``. Default [].
        min_score (float or None): drop detections scoring below this. Default None (keep all).
        skip_invalid_rows (bool): detection rows with NaN/inf, a non-positive size or a frame outside the
            sequence are an error naming the line (False) or are skipped with a warning (True). Default False.
    """

    def __init__(self,
                 dataset_dir: str = 'dataset/mot',
                 data_root: str = 'MOT16/images/train',
                 det_results_dir: str = '',
                 seqs: List[str] = [],
                 min_score: Optional[float] = None,
                 skip_invalid_rows: bool = False):
        check_types(type(self).__name__, MOTDetResultsDataset.__init__, locals())
        self.dataset_dir = dataset_dir
        self.data_root = data_root
        self.det_results_dir = det_results_dir
        self.seqs = list(seqs)
        self.min_score = min_score
        self.skip_invalid_rows = skip_invalid_rows
        self._given = {}  # name -> (builder, path, frame rate): sequences set by set_videos / set_images

    def set_videos(self, video_files, frame_rate=-1):
        """Use these video files (``--video_file A B``, ``--video_dir``) instead of the dataset folder; each is a
        sequence named after its file. A video that cannot be opened fails as its sequence, not here."""
        names = [os.path.splitext(os.path.basename(v))[0] for v in video_files]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise SequenceError("several videos are named {}: their result files would overwrite each other".format(
                ', '.join(repeated)))
        self._given = {n: (Sequence.from_video, v, frame_rate) for n, v in zip(names, video_files)}

    def set_video(self, video_file, frame_rate=-1):
        """Use one video file (``--video_file``) instead of the dataset folder."""
        self.set_videos([video_file], frame_rate)

    def set_images(self, image_dir, frame_rate=-1):
        """Use one folder of frames (``--image_dir``) instead of the dataset folder."""
        self._given = {os.path.basename(os.path.normpath(image_dir)): (Sequence.from_images, image_dir, frame_rate)}

    @property
    def root(self):
        return os.path.join(self.dataset_dir, self.data_root)

    def sequences(self):
        """Names of the sequences to track, in order."""
        if self._given:
            return list(self._given)
        if self.seqs:
            return list(self.seqs)
        if not os.path.isdir(self.root):
            raise SequenceError("MOTDetResultsDataset: sequences folder {} (dataset_dir/data_root) not found".format(
                self.root))
        names = sorted(d for d in os.listdir(self.root) if os.path.isdir(os.path.join(self.root, d)))
        if not names:
            raise SequenceError("no sequence folders in {}".format(self.root))
        return names

    def sequence(self, name):
        """The :class:`Sequence` called ``name``."""
        if name in self._given:
            builder, path, frame_rate = self._given[name]
            return builder(path, frame_rate)
        return Sequence.from_dir(os.path.join(self.root, name))

    def det_file(self, seq):
        return os.path.join(self.det_results_dir, seq.name + '.txt')

    def detections(self, seq):
        """The sequence's saved detections (:class:`Detections`), or None without ``det_results_dir``."""
        if not self.det_results_dir:
            return None
        require(type(self).__name__, 'det_results_dir', os.path.isdir(self.det_results_dir),
                'an existing folder of {seq}.txt files', self.det_results_dir)
        return load_detections(self.det_file(seq), seq.num_frames, self.min_score, self.skip_invalid_rows,
                               seq.im_size)

    def frames(self, seq, with_images=True):
        """Yield (frame_id, BGR image or None, tlwh N x 4, score N) for each frame of ``seq``.

        Without ``det_results_dir`` the detections are empty (a detector supplies them).
        """
        dets = self.detections(seq)
        if with_images:
            frames = seq.read()
        else:
            frames = ((frame_id, None) for frame_id in seq.frame_ids)
        empty = np.zeros((0, 4)), np.zeros(0)
        for frame_id, image in frames:
            tlwh, score = dets.in_frame(frame_id)[:2] if dets is not None else empty
            yield frame_id, image, tlwh, score
