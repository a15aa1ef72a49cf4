"""A live input, tracked as its frames come: a camera (``--camera 0``) or a network stream (``--video_file
rtsp://...`` or ``http://...``, e.g. an IP camera's MJPEG).

It has no length: frames are numbered from 1 as they arrive and the sequence ends when the run is stopped
(Ctrl-C, SIGTERM) or when the stream stops sending and ``reconnect_tries`` reconnections in a row get no frame;
that end is raised as :class:`StreamEnded`, which names the last frame tracked. A frame counts as missing after
``timeout`` seconds without one; a stop asked for meanwhile ends the reading there instead of reconnecting. Frames
missed while reconnecting are gone (the stream is live), so the numbering goes on from the last frame tracked.
"""

import logging
import os
import re
import sys
import time
from urllib.parse import urlparse

import cv2

from ..errors import SequenceError

logger = logging.getLogger(__name__)

__all__ = ['Stream', 'StreamEnded', 'is_stream']

_SCHEMES = ('rtsp', 'rtsps', 'rtmp', 'http', 'https', 'udp', 'tcp', 'srt')


def is_stream(source):
    """Whether ``source`` (a --video_file value) is a network stream's address rather than a file."""
    return isinstance(source, str) and urlparse(source).scheme.lower() in _SCHEMES and not os.path.exists(source)


class StreamEnded(SequenceError):
    """A live stream stopped sending frames; what was tracked up to then is kept as its results."""


class Stream:
    """A camera (int index) or a stream address, with :class:`~.sequence.Sequence`'s interface.

    Args:
        source (int or str): camera index or address.
        frame_rate (float): of the output video; <= 0 takes the stream's (25 where it announces none).
        reconnect_tries (int): reconnections in a row that may fail before the stream counts as ended.
        timeout (float): seconds without a frame (or a connection) before a read counts as failed.
    """

    is_live, is_video, has_pixels = True, False, True
    num_frames, im_size, gt_path, gt_frames = None, None, None, None
    frame_ids = range(1, sys.maxsize)  # no end that can be known in advance

    def __init__(self, source, frame_rate=-1, reconnect_tries=3, timeout=10.):
        self.source = source
        self.name = self.name_of(source)
        self.reconnect_tries, self.timeout = reconnect_tries, timeout
        # Kept for the first read: a second connection would start later in the stream (or not be let in).
        self._capture = self._open()
        announced = self._capture.get(cv2.CAP_PROP_FPS)
        self.frame_rate = frame_rate if frame_rate > 0 else announced if 0 < announced <= 240 else 25.

    def _open(self):
        if isinstance(self.source, int):
            capture = cv2.VideoCapture(self.source)
        else:
            ms = int(self.timeout * 1000)
            capture = cv2.VideoCapture(self.source, cv2.CAP_FFMPEG,
                                       [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms])
        if not capture.isOpened():
            capture.release()
            raise SequenceError("cannot open {}".format(
                'camera {} (no such device, or in use)'.format(self.source) if isinstance(self.source, int) else
                'stream {} (no answer within {:g} s, or not a stream OpenCV reads)'.format(self.source, self.timeout)))
        return capture

    def read(self, interrupted=lambda: False):
        """Yield (frame id, BGR image) as frames arrive, numbered from 1. ``interrupted()`` says whether the run is
        stopping: then a stream that went silent is not reconnected.

        Raises:
            StreamEnded: the stream stopped sending and could not be reconnected.
        """
        capture, frame_id, failed = self._capture or self._open(), 0, 0
        self._capture = None
        try:
            while True:
                ok, image = capture.read() if capture is not None else (False, None)
                if ok:
                    frame_id, failed = frame_id + 1, 0
                    yield frame_id, image
                    continue
                if interrupted():  # a stop asked for while the stream was silent: no more tries
                    return
                if failed == self.reconnect_tries:
                    raise StreamEnded("{} {}: the stream stopped after frame {}{}".format(
                        'camera' if isinstance(self.source, int) else 'stream', self.source, frame_id,
                        ' ({} reconnect tries got no frame)'.format(failed) if failed else ''))
                failed += 1
                logger.warning("{}: no frame after frame {}: reconnecting (try {} of {})".format(
                    self.name, frame_id, failed, self.reconnect_tries))
                if capture is not None:
                    capture.release()
                time.sleep(min(1., self.timeout))
                try:
                    capture = self._open()
                except SequenceError:
                    capture = None
        finally:
            if capture is not None:
                capture.release()

    @staticmethod
    def name_of(source):
        """The sequence's name, which its results file takes: camera0, or the last part of the address's path
        without its extension (else its host), e.g. PETS09-S2L1 for http://127.0.0.1:8080/PETS09-S2L1.mjpg."""
        if isinstance(source, int):
            return 'camera{}'.format(source)
        address = urlparse(source)
        name = os.path.splitext(os.path.basename(address.path.rstrip('/')))[0] or address.hostname or 'stream'
        return re.sub(r'[^A-Za-z0-9._-]', '_', name)
