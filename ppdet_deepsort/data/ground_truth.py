"""Ground truth of one sequence, as the MOTChallenge devkit (and TrackEval's ``MotChallenge2DBox``) reads it.

Two layouts, told apart by their column count:

* MOT16/17/20, 9 columns ``frame,id,x,y,w,h,mark,class,visibility``;
* MOT15, 10 columns ``frame,id,x,y,w,h,conf,x,y,z`` (no classes; ``conf`` plays the part of ``mark``).

Rows keep their file order within a frame: the devkit builds its cost matrices in that order, and the
assignment solver's choice between equal costs depends on it.
"""

import os

import numpy as np

from ..errors import MOTFileError
from .mot_txt import read_rows, reject_repeated_ids, reject_rows

__all__ = ['GroundTruth', 'PEDESTRIAN', 'DISTRACTORS', 'MOT20_DISTRACTORS']

PEDESTRIAN = 1
# person on vehicle, static person, distractor, reflection: boxes matched to these are not scored.
DISTRACTORS = (2, 7, 8, 12)
MOT20_DISTRACTORS = DISTRACTORS + (6, )  # MOT20 adds non-MOT vehicles
_MOT_CLASSES = range(1, 14)  # pedestrian .. crowd


class GroundTruth:
    """All ground-truth rows of a sequence, sorted by frame (file order within a frame).

    Args:
        path (str): the gt.txt file.
        name (str or None): the sequence name; a name starting with ``MOT20`` selects MOT20's distractor
            classes, as TrackEval's MOT20 benchmark does. Default: the name of the folder above ``gt/``.

    Attributes:
        layout (str): 'MOT16' (9 columns, also MOT17/20) or 'MOT15' (10 columns).
        frame, track_id (ndarray): per row, int.
        tlwh (ndarray): N x 4 boxes.
        mark (ndarray): column 7 (mark, or conf for MOT15): rows with 0 are never targets.
        cls (ndarray): column 8 (class; for MOT15 a world coordinate, unused).
        visibility (ndarray): column 9 (visibility; for MOT15 a world coordinate).
    """

    def __init__(self, path, name=None):
        if not os.path.isfile(path):
            raise MOTFileError("ground truth file not found: {}".format(path))
        table, numbers, texts = read_rows(path, (9, 10), "9 (MOT16/17/20: frame,id,x,y,w,h,mark,class,visibility) or "
                                                         "10 (MOT15: frame,id,x,y,w,h,conf,x,y,z)")
        self.path = path
        self.name = name or os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
        if table is None:
            table, numbers, texts = np.zeros((0, 9)), [], []
        self.layout = 'MOT16' if table.shape[1] == 9 else 'MOT15'
        frame, ids = table[:, 0], table[:, 1]
        problems = [
            (~np.isfinite(table[:, :8]).all(axis=1), 'NaN or inf value'),
            ((frame != np.round(frame)) | (frame < 1), 'frame must be an integer >= 1'),
            (ids != np.round(ids), 'id must be an integer'),
        ]
        if self.layout == 'MOT16':
            problems.append((~np.isin(table[:, 7], _MOT_CLASSES), 'class must be one of the MOT classes 1-13'))
        reject_rows(path, numbers, texts, problems)
        frame, ids = frame.astype(np.int64), ids.astype(np.int64)
        reject_repeated_ids(path, numbers, texts, frame, ids)
        order = np.argsort(frame, kind='stable')
        self.frame, self.track_id = frame[order], ids[order]
        self.tlwh = table[order, 2:6]
        self.mark = table[order, 6]
        self.cls = table[order, 7]
        self.visibility = table[order, 8]
        self.distractors = MOT20_DISTRACTORS if self.name.startswith('MOT20') else DISTRACTORS

    def rows_of(self, frame_id):
        """The slice of rows that belong to one frame."""
        lo, hi = np.searchsorted(self.frame, [frame_id, frame_id + 1])
        return slice(int(lo), int(hi))

    @property
    def last_frame(self):
        return int(self.frame[-1]) if len(self.frame) else 0
