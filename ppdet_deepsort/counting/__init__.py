"""Counting tracks across lines and into areas (PP-Tracking's entrance and break-in counting), without paddle."""

from .counter import Counter
from .regions import Line, Polygon

__all__ = ['Counter', 'Line', 'Polygon']
