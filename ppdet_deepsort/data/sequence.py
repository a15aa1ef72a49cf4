"""A MOT sequence: where its frames come from (image folder, video, or nothing), how many frames it
has, its size, frame rate and ground truth.

Layout (MOTChallenge / PaddleDetection)::

    {seq}/seqinfo.ini        [Sequence] name, frameRate, seqLength, imWidth, imHeight (all optional)
    {seq}/img1/000001.jpg    frames; or instead a single video file in {seq}/
    {seq}/gt/gt.txt          ground truth (optional)

``seqinfo.ini`` may also hold ``gtFrames=FIRST-LAST`` (a plugin extension) when the ground truth covers
only those frames; evaluation is then limited to them.
"""

import configparser
import logging
import os
import re

import cv2

from ..errors import SequenceError

logger = logging.getLogger(__name__)

__all__ = ['Sequence', 'VIDEO_EXTS', 'IMAGE_EXTS', 'holds_frames']

VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.flv', '.mpg', '.mpeg', '.m4v', '.wmv')
IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')


class Sequence:
    """One sequence. Build it with :meth:`from_dir`, :meth:`from_video` or :meth:`from_images`.

    Attributes:
        name (str): sequence name (folder or video file name without extension).
        num_frames (int): frames in the sequence (``seqLength``, or counted from the frames).
        frame_ids (range): frames that can be tracked: those whose pixels exist, else all.
        frame_rate (float): frames per second (for output videos).
        im_size (tuple or None): (width, height) when known.
        gt_path (str or None): ground truth file, if any.
        gt_frames (tuple or None): (first, last) frames the ground truth covers, if declared.
    """

    is_live = False  # see :class:`.stream.Stream`

    def __init__(self, name, num_frames, frame_rate, im_size=None, images=None, video=None, gt_path=None,
                 gt_frames=None):
        self.name = name
        self.num_frames = num_frames
        self.frame_rate = frame_rate
        self.im_size = im_size
        self.gt_path = gt_path
        self.gt_frames = gt_frames
        self._images = images  # {frame id: path}
        self._video = video
        # An image folder may hold fewer frames than seqLength (a clipped copy): track what is there.
        self.frame_ids = range(1, (len(images) if images is not None else num_frames) + 1)

    @property
    def has_pixels(self):
        return self._images is not None or self._video is not None

    @property
    def source(self):
        return self._video or (os.path.dirname(self._images[1]) if self._images else None)

    @classmethod
    def from_dir(cls, seq_dir):
        """A sequence folder in MOTChallenge layout (frames as img1/, a video file, or absent)."""
        if not os.path.isdir(seq_dir):
            raise SequenceError("sequence folder not found: {}".format(seq_dir))
        name = os.path.basename(os.path.normpath(seq_dir))
        info = _read_seqinfo(os.path.join(seq_dir, 'seqinfo.ini'))
        gt_path = os.path.join(seq_dir, 'gt', 'gt.txt')
        gt_path = gt_path if os.path.isfile(gt_path) else None
        im_dir = os.path.join(seq_dir, info.get('imDir', 'img1'))
        videos = sorted(f for f in os.listdir(seq_dir) if f.lower().endswith(VIDEO_EXTS))
        images = video = None
        if os.path.isdir(im_dir):
            images = _list_frames(im_dir)
        elif len(videos) == 1:
            video = os.path.join(seq_dir, videos[0])
        elif len(videos) > 1:
            raise SequenceError("{}: several videos ({}) and no {}/ folder: which holds the frames?".format(
                seq_dir, ', '.join(videos), info.get('imDir', 'img1')))

        seq_length = info.get('seqLength')
        if video is not None:
            count, fps, size = _probe_video(video)
            if seq_length is not None and seq_length != count:
                raise SequenceError("{}: seqinfo.ini says seqLength={} but the video {} has {} frames".format(
                    seq_dir, seq_length, video, count))
            num_frames, frame_rate, im_size = count, info.get('frameRate', fps), size
        elif images is not None:
            if seq_length is not None and seq_length < len(images):
                raise SequenceError("{}: seqinfo.ini says seqLength={} but {} holds {} frames".format(
                    seq_dir, seq_length, im_dir, len(images)))
            if seq_length is not None and seq_length > len(images):
                logger.warning("{}: seqinfo.ini says seqLength={} but {} holds frames 1-{} only: tracking those"
                               .format(seq_dir, seq_length, im_dir, len(images)))
            num_frames = seq_length or len(images)
            frame_rate, im_size = info.get('frameRate', 30), _size(info) or _image_size(images[1])
        else:
            if seq_length is None:
                raise SequenceError("{}: no frames ({}/ or a video file) and no seqLength in seqinfo.ini: the "
                                    "sequence length is unknown".format(seq_dir, info.get('imDir', 'img1')))
            num_frames, frame_rate, im_size = seq_length, info.get('frameRate', 30), _size(info)
        return cls(name, num_frames, frame_rate, im_size, images=images, video=video, gt_path=gt_path,
                   gt_frames=info.get('gtFrames'))

    @classmethod
    def from_video(cls, path, frame_rate=-1):
        """A bare video file; the sequence is named after the file."""
        if not os.path.isfile(path):
            raise SequenceError("video file not found: {}".format(path))
        count, fps, size = _probe_video(path)
        name = os.path.splitext(os.path.basename(path))[0]
        return cls(name, count, frame_rate if frame_rate > 0 else fps, size, video=path)

    @classmethod
    def from_images(cls, image_dir, frame_rate=-1):
        """A folder of frames, or a MOT sequence folder holding img1/, or the img1/ folder of one."""
        if os.path.isdir(os.path.join(image_dir, 'img1')):
            return cls.from_dir(image_dir)
        parent = os.path.dirname(os.path.normpath(image_dir))
        if os.path.basename(os.path.normpath(image_dir)) == 'img1' and os.path.isfile(os.path.join(parent,
                                                                                                  'seqinfo.ini')):
            return cls.from_dir(parent)
        if not os.path.isdir(image_dir):
            raise SequenceError("image folder not found: {}".format(image_dir))
        images = _list_frames(image_dir)
        name = os.path.basename(os.path.normpath(image_dir))
        return cls(name, len(images), frame_rate if frame_rate > 0 else 30, _image_size(images[1]), images=images)

    @property
    def is_video(self):
        return self._video is not None

    def image(self, frame_id):
        """The BGR image of frame ``frame_id`` of an image folder.

        Raises:
            SequenceError: the image cannot be read.
        """
        path = self._images[frame_id]
        image = cv2.imread(path)
        if image is None:
            raise SequenceError("cannot read image {} (frame {})".format(path, frame_id))
        if _truncated(path):
            # OpenCV decodes what there is, fills the rest with grey and says only "Premature end of JPEG file",
            # without naming it.
            logger.warning("frame {}: {} is truncated (no end-of-image marker): only part of it decoded, the rest "
                           "of the picture is blank".format(frame_id, path))
        return image

    def read(self, first=1):
        """Yield (frame_id, BGR image) for every frame in ``frame_ids`` from ``first`` on.

        Raises:
            SequenceError: an image cannot be read or the video ends early or cannot be decoded.
        """
        if self._images is not None:
            for frame_id in self.frame_ids[first - 1:]:
                yield frame_id, self.image(frame_id)
            return
        if self._video is None:
            raise SequenceError("sequence {} has no frames to read (no img1/ folder or video)".format(self.name))
        capture = cv2.VideoCapture(self._video)
        try:
            for frame_id in self.frame_ids:
                # Frames before ``first`` are grabbed and dropped: seeking is not frame-exact in every codec.
                ok = capture.grab()
                if ok and frame_id >= first:
                    ok, image = capture.retrieve()
                if not ok:
                    raise SequenceError("{}: video ends at frame {} although its header announces {} frames "
                                        "(truncated or corrupt file)".format(self._video, frame_id - 1,
                                                                             self.num_frames))
                if frame_id >= first:
                    yield frame_id, image
        finally:
            capture.release()


def _read_seqinfo(path):
    if not os.path.isfile(path):
        return {}
    parser = configparser.ConfigParser()
    parser.optionxform = str  # keys are camelCase
    try:
        parser.read(path)
    except configparser.Error as e:
        raise SequenceError("{}: not a valid ini file: {}".format(path, e)) from None
    if not parser.has_section('Sequence'):
        raise SequenceError("{}: no [Sequence] section".format(path))
    raw = parser['Sequence']
    info = {}
    for key, kind in (('seqLength', int), ('frameRate', float), ('imWidth', int), ('imHeight', int)):
        if key in raw:
            try:
                info[key] = kind(raw[key])
            except ValueError:
                raise SequenceError("{}: {}={!r} is not a number".format(path, key, raw[key])) from None
            if info[key] <= 0:
                raise SequenceError("{}: {}={} must be > 0".format(path, key, raw[key]))
    if 'imDir' in raw:
        info['imDir'] = raw['imDir']
    if 'gtFrames' in raw:
        match = re.fullmatch(r'\s*(\d+)\s*-\s*(\d+)\s*', raw['gtFrames'])
        if not match or int(match.group(1)) > int(match.group(2)):
            raise SequenceError("{}: gtFrames={!r} must be FIRST-LAST, e.g. 1-69".format(path, raw['gtFrames']))
        info['gtFrames'] = (int(match.group(1)), int(match.group(2)))
    return info


def _truncated(path):
    """Whether a JPEG or PNG file lacks its end marker (EOI, IEND): a partly written or cut file."""
    ext = os.path.splitext(path)[1].lower()
    marker = {'.jpg': b'\xff\xd9', '.jpeg': b'\xff\xd9', '.png': b'IEND'}.get(ext)
    if marker is None:
        return False
    with open(path, 'rb') as f:
        f.seek(max(0, os.path.getsize(path) - 64))
        return marker not in f.read()


def _image_size(path):
    """(width, height) of an image file, or None if it cannot be read (reported when the frame is read)."""
    image = cv2.imread(path)
    return (image.shape[1], image.shape[0]) if image is not None else None


def _size(info):
    return (info['imWidth'], info['imHeight']) if 'imWidth' in info and 'imHeight' in info else None


def holds_frames(folder):
    """Whether ``folder`` holds image files or an img1/ folder of them: a sequence of frames, not of a video."""
    return os.path.isdir(os.path.join(folder, 'img1')) or any(f.lower().endswith(IMAGE_EXTS)
                                                                for f in os.listdir(folder))


def _list_frames(im_dir):
    """{frame id: path}. Numbered files (000001.jpg) keep their numbers and must run without gaps;
    other names are numbered in sorted order."""
    files = sorted(f for f in os.listdir(im_dir) if f.lower().endswith(IMAGE_EXTS))
    if not files:
        raise SequenceError("no images ({}) in {}".format('/'.join(IMAGE_EXTS), im_dir))
    stems = [os.path.splitext(f)[0] for f in files]
    if all(s.isdigit() for s in stems):
        numbers = sorted((int(s), f) for s, f in zip(stems, files))
        first = numbers[0][0]
        shift = 1 - first if first == 0 else 0  # 0-based naming
        if first > 1:
            raise SequenceError("{}: frames start at {} (file {}); frame 1 is missing".format(
                im_dir, first, numbers[0][1]))
        for (a, _), (b, f) in zip(numbers, numbers[1:]):
            if b != a + 1:
                raise SequenceError("{}: frame {} is missing (next file is {}); detections would no longer line "
                                    "up with frames".format(im_dir, a + 1 + shift, f))
        return {n + shift: os.path.join(im_dir, f) for n, f in numbers}
    logger.info("{}: file names are not frame numbers; numbering {} frames in sorted order".format(
        im_dir, len(files)))
    return {i + 1: os.path.join(im_dir, f) for i, f in enumerate(files)}


def _probe_video(path):
    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            raise SequenceError("cannot open video {} (corrupt file or unsupported codec)".format(path))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = capture.get(cv2.CAP_PROP_FPS)
        size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        ok, _ = capture.read()
        if not ok or count <= 0:
            raise SequenceError("cannot decode video {} (corrupt file or unsupported codec)".format(path))
    finally:
        capture.release()
    return count, fps if fps > 0 else 30., size
