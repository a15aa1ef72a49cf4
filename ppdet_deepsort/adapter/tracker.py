"""``FastDeepSORTTracker`` in ppdet's registry."""

from ppdet.core.workspace import register, serializable
from ppdet.modeling.mot.tracker import DeepSORTTracker

from .. import tracker

__all__ = ['FastDeepSORTTracker']


@register
@serializable
class FastDeepSORTTracker(tracker.FastDeepSORTTracker, DeepSORTTracker):
    # It derives from ppdet's DeepSORTTracker only so that ppdet's own engine (ppdet.engine.Tracker), which dispatches
    # on that class, accepts it; it shares none of its code (the core class's __init__ comes first and does not call
    # ppdet's).
    __doc__ = tracker.FastDeepSORTTracker.__doc__
