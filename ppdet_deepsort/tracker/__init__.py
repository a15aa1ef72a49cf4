from .deepsort_tracker import FastDeepSORTTracker

__all__ = ['FastDeepSORTTracker']
