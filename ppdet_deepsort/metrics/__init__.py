from .conventions import CONVENTIONS
from .ground_truth import GroundTruth
from .summary import METRICS, MetricsSummary, evaluate

__all__ = ['GroundTruth', 'evaluate', 'MetricsSummary', 'METRICS', 'CONVENTIONS']
