from .outputs import SequenceOutputs, read_mot_results, write_mot_results
from .runner import RunError, SDERunner

__all__ = ['SDERunner', 'RunError', 'SequenceOutputs', 'read_mot_results', 'write_mot_results']
