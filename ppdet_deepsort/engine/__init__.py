from .outputs import SequenceOutputs, write_mot_results
from .runner import RunError, SDERunner

__all__ = ['SDERunner', 'RunError', 'SequenceOutputs', 'write_mot_results']
