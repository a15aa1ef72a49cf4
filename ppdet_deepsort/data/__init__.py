from .det_file import Detections, load_detections
from .det_results_dataset import MOTDetResultsDataset
from .mot_txt import MOTFileError, read_mot_results
from .sequence import VIDEO_EXTS, Sequence, SequenceError

__all__ = ['MOTDetResultsDataset', 'Sequence', 'SequenceError', 'Detections', 'load_detections', 'MOTFileError',
           'read_mot_results', 'VIDEO_EXTS']
