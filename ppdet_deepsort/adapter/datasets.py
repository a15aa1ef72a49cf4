"""The precomputed-detection dataset, registered in ppdet as ``MOTDetResultsDataset``: the sequences and saved
detections of :class:`ppdet_deepsort.data.MOTSequences` behind ppdet's dataset protocol."""

import inspect
import logging
import os
import threading

import numpy as np
from ppdet.core.workspace import register, serializable
from ppdet.data.source.dataset import DetDataset
from ppdet.data.transform.operators import Decode

from ..data.det_file import load_detections
from ..data.mot_sequences import MOTSequences
from ..errors import SequenceError

logger = logging.getLogger(__name__)

__all__ = ['MOTDetResultsDataset']

_VIDEO_LOCK = threading.Lock()


@register
@serializable
class MOTDetResultsDataset(MOTSequences, DetDataset):
    # In ppdet's own engine (ppdet.engine.Tracker, run by PaddleDetection's tools/eval_mot.py and infer_mot.py) it
    # stands where ppdet's MOTImageFolder does: the engine sets one sequence at a time (set_images / set_video) and
    # reads its frames as ppdet samples through its reader's transforms, decoded with OpenCV (videos need no ffmpeg);
    # a sequence without frames gives black ones of its seqinfo.ini size. The detections the engine reads come from
    # this dataset's reader (all four layouts, checked), see .engine_changes.
    __doc__ = MOTSequences.__doc__

    def __init__(self, *args, **kwargs):
        DetDataset.__init__(self)
        MOTSequences.__init__(self, *args, **kwargs)
        self._ops = []  # the reader's transforms after Decode, which __getitem__ does itself
        # (the sources it was opened for, the Sequence): set_videos / set_images give new sources, opened anew
        self._opened = None
        self._cursor = None  # ((sequence, next frame id), its frames from there) when the current one is a video

    __init__.__signature__ = inspect.signature(MOTSequences.__init__)  # the keys ppdet reads

    def check_or_download_dataset(self):
        pass

    def parse_dataset(self):
        """Open the sequence set by ``set_images`` / ``set_video``."""
        if self._opened is not None and self._opened[0] is self._given:
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
        self._opened, self._cursor = (self._given, seq), None

    @property
    def _current(self):
        return self._opened[1]

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
