"""MOT data without paddle or ppdet: detection, ground-truth and result files, sequences (image folders, videos, live
streams) and the sequences of a dataset folder paired with saved detections."""

from .det_file import Detections, load_detections
from .ground_truth import GroundTruth
from .mot_sequences import MOTSequences
from .mot_txt import read_mot_results
from .sequence import VIDEO_EXTS, Sequence

__all__ = ['MOTSequences', 'GroundTruth', 'Sequence', 'Detections', 'load_detections', 'read_mot_results',
           'VIDEO_EXTS']
