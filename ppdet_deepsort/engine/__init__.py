from .outputs import SequenceOutputs, write_mot_results
from .runner import SDERunner

__all__ = ['SDERunner', 'SequenceOutputs', 'write_mot_results']
