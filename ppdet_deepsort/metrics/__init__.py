from .conventions import CONVENTIONS
from .summary import METRICS, MetricsSummary, evaluate

__all__ = ['evaluate', 'MetricsSummary', 'METRICS', 'CONVENTIONS']
