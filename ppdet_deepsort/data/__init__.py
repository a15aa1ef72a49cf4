from .det_file import Detections, load_detections
from .det_results_dataset import MOTDetResultsDataset
from .identity_crops import MOTIdentityCrops, pk_batches
from .reid_transforms import RandomCropToSize
from .mot_txt import MOTFileError, read_mot_results
from .sequence import VIDEO_EXTS, Sequence, SequenceError

__all__ = ['MOTDetResultsDataset', 'MOTIdentityCrops', 'pk_batches', 'RandomCropToSize', 'Sequence',
           'SequenceError', 'Detections', 'load_detections', 'MOTFileError', 'read_mot_results', 'VIDEO_EXTS']
