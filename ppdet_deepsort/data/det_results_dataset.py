"""The precomputed-detection dataset, registered in ppdet as ``MOTDetResultsDataset``."""

import os
import threading
from typing import List, Optional

import numpy as np
from ppdet.core.workspace import register, serializable
from ppdet.data.source.dataset import DetDataset
from ppdet.data.transform.operators import Decode
from ppdet.utils.logger import setup_logger

from ..utils.config import check_types, require
from .det_file import load_detections
from ..errors import SequenceError
from .sequence import Sequence, holds_frames
from .stream import Stream, is_stream

logger = setup_logger(__name__)

__all__ = ['MOTDetResultsDataset']

_VIDEO_LOCK = threading.Lock()


@register
@serializable
class MOTDetResultsDataset(DetDataset):
    """MOT sequences paired with saved detections, one file ``{det_results_dir}/{seq}.txt`` per sequence.

    Use it as ``EvalMOTDataset: !MOTDetResultsDataset {...}`` (sequences of a dataset folder) or
    ``TestMOTDataset: !MOTDetResultsDataset {...}`` (one video or image folder, set by the tools'
    ``--video_file`` / ``--image_dir``). Frames come from ``{seq}/img1/``, a video file in ``{seq}/``, or
    nowhere (motion-only tracking needs no pixels: the length is then ``seqLength`` of seqinfo.ini).
    Detection file layouts: see :mod:`ppdet_deepsort.data.det_file`.

    In ppdet's own engine (``ppdet.engine.Tracker``, run by PaddleDetection's tools/eval_mot.py and infer_mot.py)
    it stands where ppdet's ``MOTImageFolder`` does: the engine sets one sequence at a time (``set_images`` /
    ``set_video``) and reads its frames as ppdet samples through its reader's transforms, decoded with OpenCV
    (videos need no ffmpeg); a sequence without frames gives black ones of its seqinfo.ini size. The
    detections the engine reads come from this dataset's reader (all four layouts, checked), see
    :mod:`ppdet_deepsort.engine.ppdet_engine`.

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
        check_types(type(self).__name__, MOTDetResultsDataset.__init__, locals())
        super().__init__(dataset_dir=dataset_dir)
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
        self._current = None  # the sequence ppdet's engine reads, opened by parse_dataset
        self._ops = []  # the reader's transforms after Decode, which __getitem__ does itself
        self._cursor = None  # ((sequence, next frame id), its frames from there) when the current one is a video

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
        self._current = None

    def set_camera(self, index, frame_rate=-1):
        """Track camera ``index`` (the tools' ``--camera``) live, as sequence ``camera{index}``."""
        self._given = {Stream.name_of(index): (self._stream, index, frame_rate)}
        self._current = None

    def _stream(self, source, frame_rate):
        return Stream(source, frame_rate, self.reconnect_tries, self.stream_timeout)

    def set_video(self, video_file, frame_rate=-1):
        """Use one video file (``--video_file``) instead of the dataset folder."""
        self.set_videos([video_file], frame_rate)

    def set_images(self, images, frame_rate=-1):
        """Use one folder of frames (the tools' ``--image_dir``) instead of the dataset folder. ppdet's engine
        gives a list instead: the frame files of a sequence's img1/, or the sequence folder itself when its
        frames are a video or absent (see :mod:`ppdet_deepsort.engine.ppdet_engine`)."""
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
        self._current = None

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

    def frames(self, seq, with_images=True):
        """Yield (frame_id, BGR image or None, tlwh N x 4, score N) for each frame of ``seq``.

        Without ``det_results_dir`` the detections are empty (a detector supplies them). A live input is read even
        without ``with_images``: its frames are those that arrive.
        """
        dets = self.detections(seq)
        if with_images or seq.is_live:
            frames = seq.read()
        else:
            frames = ((frame_id, None) for frame_id in seq.frame_ids)
        empty = np.zeros((0, 4)), np.zeros(0)
        for frame_id, image in frames:
            tlwh, score = dets.in_frame(frame_id)[:2] if dets is not None else empty
            yield frame_id, image, tlwh, score

    # ppdet's dataset protocol, for its engine ------------------------------------------------------------------
    def check_or_download_dataset(self):
        pass

    def parse_dataset(self):
        """Open the sequence set by ``set_images`` / ``set_video``."""
        if self._current is not None:
            return
        if len(self._given) != 1:
            raise SequenceError("MOTDetResultsDataset: ppdet's engine reads one sequence at a time (set_images or "
                                "set_video), {} are set".format(len(self._given)))
        seq = self.sequence(next(iter(self._given)))
        if seq.is_live:
            raise SequenceError("{}: ppdet's engine reads sequences of a known length; track a live stream or "
                                "camera with the plugin's tools/infer_mot.py".format(seq.source))
        if not seq.has_pixels:
            if seq.im_size is None:
                raise SequenceError("{}: no frames and no imWidth/imHeight in seqinfo.ini: ppdet's engine needs the "
                                    "frame size (it clips boxes to the frame)".format(seq.name))
            logger.warning("{} has no frames (no img1/ or video): ppdet's engine gets black {}x{} frames, enough for "
                           "saved detections without a ReID model".format(seq.name, *seq.im_size))
        self._current, self._cursor = seq, None

    @property
    def frame_rate(self):
        """Frames per second of the sequence ppdet's engine reads."""
        self.parse_dataset()
        return self._current.frame_rate

    def set_transform(self, transform):
        """ppdet's reader transforms; the ``Decode`` among them is done by :meth:`__getitem__` itself (frames may
        come from a video)."""
        self._ops = [op for op in getattr(transform, 'transforms_cls', [transform]) if not isinstance(op, Decode)]

    def __len__(self):
        self.parse_dataset()
        return len(self._current.frame_ids)

    def __getitem__(self, index):
        """Frame ``index`` (from 0) of the current sequence as a ppdet sample, as ``Decode`` with ``keep_ori_im``
        leaves it (``image`` RGB, ``ori_image`` BGR), then through the reader's other transforms."""
        seq = self._current
        frame_id = seq.frame_ids[index]
        if seq.is_video:
            # One decoder, read in order; the lock because ppdet's reader thread of the previous pass may still
            # ask for a frame when the next pass's begins.
            with _VIDEO_LOCK:
                if self._cursor is None or self._cursor[0] != (seq, frame_id):
                    self._cursor = ((seq, frame_id), seq.read(frame_id))
                _, bgr = next(self._cursor[1])
                self._cursor = ((seq, frame_id + 1), self._cursor[1])
        elif seq.has_pixels:
            bgr = seq.image(frame_id)
        else:
            bgr = np.zeros(seq.im_size[::-1] + (3, ), np.uint8)
        h, w = bgr.shape[:2]
        sample = {'im_id': np.array([index]), 'image': bgr[:, :, ::-1].copy(), 'ori_image': bgr, 'h': h, 'w': w,
                  'im_shape': np.array([h, w], np.float32), 'scale_factor': np.ones(2, np.float32)}
        for op in self._ops:
            sample = op(sample)
        return sample

    def ppdet_detections(self, det_file, num_frames):
        """The current sequence's detections in the form of ppdet's ``load_det_results``: per frame
        {'bbox': N x 4 tlwh, 'score': N x 1, 'cls_id': N x 1} (float32). ``det_file`` is the one ppdet's engine
        names, ``{--det_results_dir}/{seq}.txt``; without ``--det_results_dir`` this dataset's own
        ``det_results_dir`` is used."""
        self.parse_dataset()
        seq = self._current
        if not os.path.dirname(det_file):
            det_file = os.path.join(self.det_results_dir, det_file)
        dets = load_detections(det_file, seq.num_frames, self.min_score, self.skip_invalid_rows, seq.im_size)
        frames = []
        for frame_id in seq.frame_ids[:num_frames]:
            tlwh, score, cls_id = dets.in_frame(frame_id)
            frames.append({'bbox': tlwh.astype(np.float32), 'score': score[:, None].astype(np.float32),
                           'cls_id': cls_id[:, None].astype(np.float32)})
        return frames


def _from_sequence_dir(path, frame_rate):
    return Sequence.from_dir(path)
