"""Tracking sequences: the runner (:mod:`.runner`, on the models) and what it writes and reads without paddle
(:mod:`.outputs`, :mod:`.manifest`, :mod:`.interpolation`)."""
