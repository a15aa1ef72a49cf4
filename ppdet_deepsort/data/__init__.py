from .det_file import Detections, load_detections
from .det_results_dataset import MOTDetResultsDataset
from .ground_truth import GroundTruth
from .identity_crops import MOTIdentityCrops, pk_batches
from .reid_transforms import RandomCropToSize
from .mot_txt import read_mot_results
from .sequence import VIDEO_EXTS, Sequence

__all__ = ['MOTDetResultsDataset', 'GroundTruth', 'MOTIdentityCrops', 'pk_batches', 'RandomCropToSize', 'Sequence',
           'Detections', 'load_detections', 'read_mot_results', 'VIDEO_EXTS']
