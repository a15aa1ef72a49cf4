"""Reading saved detections: the four comma-separated layouts in use for one detection per line.

======  ==========================================  ==============================================
 cols    layout                                      written by
======  ==========================================  ==============================================
  6      frame, x, y, w, h, score                    the seed's ``det_results_dir`` files
  7      frame, x, y, w, h, score, class_id          ppdet 2.6 (``load_det_results``)
  7      frame, -1, x, y, w, h, score                MOT tools (MOT17 public det.txt in some kits)
 10      frame, id, x, y, w, h, score, x, y, z       MOTChallenge det.txt (id and world coords -1)
======  ==========================================  ==============================================

``x, y`` is the top-left corner, ``w, h`` the size in pixels, frames count from 1. The two 7-column
layouts are told apart by the second column: -1 on every row means ``frame, -1, x, y, w, h, score``;
anything else means ppdet's ``frame, x, y, w, h, score, class_id``. The layout chosen is logged.
"""

import logging
import os

import numpy as np

from ..errors import MOTFileError
from .mot_txt import read_rows

logger = logging.getLogger(__name__)

__all__ = ['Detections', 'load_detections', 'inside_frame']


class Detections:
    """All detections of a sequence, sorted by frame.

    Attributes:
        path (str): the file they came from.
        layout (str): the layout that was read (see the module docstring).
        frame (ndarray): frame number of each detection (int).
        tlwh (ndarray): N x 4 boxes (top-left x, top-left y, width, height), float64.
        score (ndarray): N scores.
        cls_id (ndarray): N class ids (0 where the layout has none).
    """

    def __init__(self, path, layout, frame, tlwh, score, cls_id):
        order = np.argsort(frame, kind='stable')
        self.path, self.layout = path, layout
        self.frame, self.tlwh, self.score, self.cls_id = frame[order], tlwh[order], score[order], cls_id[order]

    def __len__(self):
        return len(self.frame)

    def in_frame(self, frame_id):
        """(tlwh N x 4, score N, cls_id N) of one frame; empty arrays if it has none."""
        lo, hi = np.searchsorted(self.frame, [frame_id, frame_id + 1])
        return self.tlwh[lo:hi], self.score[lo:hi], self.cls_id[lo:hi]

    @property
    def last_frame(self):
        return int(self.frame[-1]) if len(self.frame) else 0


_LAYOUTS = {
    # name: columns of (frame, x, y, w, h, score, class id or None)
    'frame,x,y,w,h,score': (0, 1, 2, 3, 4, 5, None),
    'frame,x,y,w,h,score,class_id': (0, 1, 2, 3, 4, 5, 6),
    'frame,-1,x,y,w,h,score': (0, 2, 3, 4, 5, 6, None),
    'frame,id,x,y,w,h,score,x,y,z (MOTChallenge)': (0, 2, 3, 4, 5, 6, None),
}


def load_detections(path, num_frames=None, min_score=None, skip_invalid_rows=False, im_size=None):
    """Read a detection file in any of the module's layouts.

    Args:
        path (str): the file.
        num_frames (int or None): frames in the sequence; detections beyond it are invalid.
        im_size (tuple or None): (width, height) of the frames; detections wholly outside them can be
            neither cropped nor scored and are dropped, with one warning naming how many and the first.
        min_score (float or None): drop detections scoring below this.
        skip_invalid_rows (bool): rows with NaN/inf, a non-positive width or height, or a frame outside
            the sequence are an error (False) or are skipped with one warning per file (True).
            Unparsable rows and a wrong or changing column count are always an error.

    Raises:
        MOTFileError: naming the file, line and problem.
    """
    if not os.path.isfile(path):
        raise MOTFileError("detection file not found: {}".format(path))
    table, numbers, texts = read_rows(path, (6, 7, 10), "6 (frame,x,y,w,h,score), 7 (frame,x,y,w,h,score,"
                                      "class_id or frame,-1,x,y,w,h,score) or 10 (MOTChallenge det.txt)")
    if table is None:
        logger.info("{}: no detections (empty file)".format(path))
        empty = np.zeros(0)
        return Detections(path, 'empty', empty.astype(np.int64), np.zeros((0, 4)), empty, empty.astype(np.int64))

    layout, how = _choose_layout(table)
    c_frame, c_x, c_y, c_w, c_h, c_score, c_cls = _LAYOUTS[layout]
    logger.info("{}: {} detections, layout {} ({})".format(path, len(table), layout, how))

    frame_f = table[:, c_frame]
    tlwh = table[:, [c_x, c_y, c_w, c_h]]
    score = table[:, c_score]
    cls_id = table[:, c_cls] if c_cls is not None else np.zeros(len(table))

    problems = [
        (~np.isfinite(table[:, [c_frame, c_x, c_y, c_w, c_h, c_score]]).all(axis=1), 'NaN or inf value'),
        ((tlwh[:, 2] <= 0) | (tlwh[:, 3] <= 0), 'width and height must be > 0'),
        ((frame_f != np.round(frame_f)) | (frame_f < 1), 'frame must be an integer >= 1'),
    ]
    if num_frames is not None:
        problems.append((frame_f > num_frames, 'frame beyond the sequence ({} frames)'.format(num_frames)))
    if c_cls is not None:
        problems.append((cls_id != np.round(cls_id), 'class_id must be an integer'))
    reason = np.full(len(table), -1)
    for k, (mask, _) in enumerate(problems):
        reason[(reason < 0) & mask] = k  # each row is reported for its first problem
    bad = reason >= 0
    if bad.any() and not skip_invalid_rows:
        first = int(np.flatnonzero(bad)[0])
        others = int(bad.sum()) - 1
        raise MOTFileError("{}:{}: {} (line: '{}'){}".format(
            path, numbers[first], problems[reason[first]][1], texts[first],
            '; {} more invalid rows (skip_invalid_rows: True skips them)'.format(others) if others else ''))
    for k, (_, what) in enumerate(problems):
        rows = np.flatnonzero(reason == k)
        if len(rows):
            logger.warning("{}: skipping {} rows: {} (lines {}{})".format(
                path, len(rows), what, ', '.join(str(numbers[i]) for i in rows[:5]), ', ...' if len(rows) > 5 else ''))

    keep = ~bad
    if im_size is not None:
        outside = keep & ~inside_frame(tlwh, im_size)
        if outside.any():
            first = int(np.flatnonzero(outside)[0])
            logger.warning("{}: {} detections lie wholly outside the {}x{} frame and are dropped (first: line {}: "
                           "'{}')".format(path, int(outside.sum()), im_size[0], im_size[1], numbers[first],
                                          texts[first]))
        keep &= ~outside
    if min_score is not None:
        low = keep & (score < min_score)
        if low.any():
            logger.info("{}: {} detections below min_score {} dropped".format(path, int(low.sum()), min_score))
        keep &= ~low
    detections = Detections(path, layout, frame_f[keep].astype(np.int64), tlwh[keep], score[keep],
                            cls_id[keep].astype(np.int64))
    if num_frames is not None and num_frames - detections.last_frame > max(30, num_frames // 10):
        logger.warning("{}: detections end at frame {} of {}: the last {} frames have none. Is this the "
                       "det file of this sequence?".format(path, detections.last_frame, num_frames,
                                                          num_frames - detections.last_frame))
    return detections


def inside_frame(tlwh, size):
    """Which boxes (N x 4 tlwh) overlap a (width, height) frame at all; the others can be neither cropped nor
    scored against ground truth. Written so that absurd values (1e300, NaN) count as outside."""
    return ((tlwh[:, 0] < size[0]) & (tlwh[:, 1] < size[1]) & (tlwh[:, 0] + tlwh[:, 2] > 0)
            & (tlwh[:, 1] + tlwh[:, 3] > 0))


def _choose_layout(table):
    ncols = table.shape[1]
    if ncols == 6:
        return 'frame,x,y,w,h,score', '6 columns'
    if ncols == 10:
        return 'frame,id,x,y,w,h,score,x,y,z (MOTChallenge)', '10 columns'
    if (table[:, 1] == -1).all():
        return 'frame,-1,x,y,w,h,score', '7 columns, second column -1 on every row'
    return 'frame,x,y,w,h,score,class_id', '7 columns, second column not always -1'

