"""MOT sequences paired with saved detections: the core of the dataset registered in ppdet as ``MOTDetResultsDataset``
(:mod:`ppdet_deepsort.adapter.datasets`)."""

import inspect
import os
from typing import List, Optional

import numpy as np

from ..checks import check_types, require
from ..errors import SequenceError
from .det_file import load_detections
from .sequence import Sequence, holds_frames
from .stream import Stream, is_stream

__all__ = ['MOTSequences']


class MOTSequences:
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
        reconnect_tries (int): a live stream or camera (``--video_file rtsp://...``, ``--camera 0``) that stops
            sending is reconnected this many times in a row before it counts as ended. Default 3.
        stream_timeout (float): seconds without a frame (or an answer when connecting) before a live stream's read
            counts as failed. Default 10.
    """

    def __init__(self,
                 dataset_dir: str = 'dataset/mot',
                 data_root: str = 'MOT16/images/train',
                 det_results_dir: str = '',
                 seqs: List[str] = [],
                 min_score: Optional[float] = None,
                 skip_invalid_rows: bool = False,
                 reconnect_tries: int = 3,
                 stream_timeout: float = 10.):
        check_types(type(self).__name__, MOTSequences.__init__, locals())
        self.dataset_dir = dataset_dir
        self.data_root = data_root
        self.det_results_dir = det_results_dir
        self.seqs = list(seqs)
        self.min_score = min_score
        self.skip_invalid_rows = skip_invalid_rows
        require(type(self).__name__, 'reconnect_tries', reconnect_tries >= 0, 'a number >= 0', reconnect_tries)
        require(type(self).__name__, 'stream_timeout', stream_timeout > 0, 'seconds > 0', stream_timeout)
        self.reconnect_tries, self.stream_timeout = reconnect_tries, stream_timeout
        self._given = {}  # name -> (builder, path, frame rate): sequences set by set_videos / set_images

    def config(self):
        """The constructor keys, as this object holds them."""
        return {name: getattr(self, name) for name in list(inspect.signature(MOTSequences.__init__).parameters)[1:]}

    def set_videos(self, video_files, frame_rate=-1):
        """Use these video files or live streams (``--video_file A B``, ``--video_dir``, ``rtsp://...``) instead
        of the dataset folder; each is a sequence named after its file (a stream: after the last part of its
        address, see :class:`.stream.Stream`). A video that cannot be opened fails as its sequence, not here."""
        given = {}
        for video in video_files:
            name = Stream.name_of(video) if is_stream(video) else os.path.splitext(os.path.basename(video))[0]
            if name in given:
                raise SequenceError("several videos are named {}: their result files would overwrite each "
                                    "other".format(name))
            given[name] = (self._stream if is_stream(video) else Sequence.from_video, video, frame_rate)
        self._given = given

    def set_camera(self, index, frame_rate=-1):
        """Track camera ``index`` (the tools' ``--camera``) live, as sequence ``camera{index}``."""
        self._given = {Stream.name_of(index): (self._stream, index, frame_rate)}

    def _stream(self, source, frame_rate):
        return Stream(source, frame_rate, self.reconnect_tries, self.stream_timeout)

    def set_video(self, video_file, frame_rate=-1):
        """Use one video file (``--video_file``) instead of the dataset folder."""
        self.set_videos([video_file], frame_rate)

    def set_images(self, images, frame_rate=-1):
        """Use one folder of frames (the tools' ``--image_dir``) instead of the dataset folder. ppdet's engine
        gives a list instead: the frame files of a sequence's img1/, or the sequence folder itself when its
        frames are a video or absent (see :mod:`ppdet_deepsort.adapter.engine_changes`)."""
        if isinstance(images, str):
            folder = images
        elif not images:
            raise SequenceError("MOTDetResultsDataset.set_images: no frame files given")
        else:
            folder = images[0] if os.path.isdir(images[0]) else os.path.dirname(images[0])
        builder = Sequence.from_images
        if os.path.isdir(folder) and not holds_frames(folder):
            builder = _from_sequence_dir
        name = os.path.basename(os.path.normpath(folder))
        if name == 'img1' and os.path.isfile(os.path.join(folder, '..', 'seqinfo.ini')):
            name = os.path.basename(os.path.dirname(os.path.normpath(folder)))
        self._given = {name: (builder, folder, frame_rate)}

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

    def is_live(self, name):
        """Whether sequence ``name`` is a camera or a stream (set by ``set_camera`` or ``set_videos``)."""
        return name in self._given and self._given[name][0] == self._stream

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

    def frames(self, seq, with_images=True, interrupted=lambda: False):
        """Yield (frame_id, BGR image or None, tlwh N x 4, score N, class id N) for each frame of ``seq``.

        Without ``det_results_dir`` the detections are empty (a detector supplies them). A live input is read even
        without ``with_images``: its frames are those that arrive, until it ends or ``interrupted()``.
        """
        dets = self.detections(seq)
        if seq.is_live:
            frames = seq.read(interrupted)
        elif with_images:
            frames = seq.read()
        else:
            frames = ((frame_id, None) for frame_id in seq.frame_ids)
        empty = np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64)
        for frame_id, image in frames:
            yield (frame_id, image, *(dets.in_frame(frame_id) if dets is not None else empty))


def _from_sequence_dir(path, frame_rate):
    return Sequence.from_dir(path)
