"""Stopping a run between two frames instead of anywhere: on SIGTERM or the first Ctrl-C, or, under
``paddle.distributed.launch``, when another worker cannot write its outputs.

A stop between frames leaves nothing half written: the runner keeps the current sequence's tracks (a live
stream's as its results, a file's as ``.partial``) and starts no other sequence; ``--resume`` goes on from there.
A second Ctrl-C or SIGTERM acts as usual.

Workers tell each other through the launcher's TCP store (the one ``paddle.distributed.init_parallel_env`` opened),
which each polls at most every half second: a worker whose disk is full asks the others to stop, and they all
meet at the final gather, where rank 0 reports why. After a signal the others may already be gone (the launcher
terminates every worker when one dies), so each worker then reports for itself and none waits for them.
"""

import itertools
import logging
import signal
import threading
import time


logger = logging.getLogger(__name__)

__all__ = ['RunStop']

_RUNS = itertools.count()  # every worker runs the same runs in the same order: the n-th shares its key


class RunStop:
    """Why the run stops early, or None: a context that catches SIGTERM and SIGINT while it is open.

    Args:
        rank (int), workers (int): this worker's rank and the number of workers (0, 1 without the launcher).
        poll_seconds (float): at most this long between two looks at the other workers' requests.
    """

    def __init__(self, rank=0, workers=1, poll_seconds=0.5):
        self.reason = None
        self.by_signal = False
        self._rank, self._store = rank, None
        self._key = 'ppdet_deepsort/stop/{}'.format(next(_RUNS))  # a stopped run does not stop the next one
        if workers > 1:
            from paddle.base import core
            self._store = core.create_or_get_global_tcp_store()
        self._poll_seconds, self._next_poll = poll_seconds, 0.
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _on_signal(self, signum, frame):
        signal.signal(signum, self._previous.pop(signum))  # the next one acts as it would have
        if self.reason is None:
            self.reason, self.by_signal = 'stopped by {}'.format(signal.Signals(signum).name), True

    def request(self, reason):
        """Stop this run, and the other workers' with it, because of ``reason`` (one line; under the launcher it
        gets this worker's rank)."""
        if self._store is not None:
            reason = 'worker {}: {}'.format(self._rank, reason)
        if self.reason is None:
            self.reason = reason
        if self._store is not None:
            self._store.set(self._key + '/reason', reason.encode())
            self._store.add(self._key, 1)

    def check(self):
        """The reason to stop now, or None."""
        if self.reason is None and self._store is not None and time.monotonic() >= self._next_poll:
            self._next_poll = time.monotonic() + self._poll_seconds
            try:
                if self._store.add(self._key, 0) > 0:
                    self.reason = bytes(self._store.get(self._key + '/reason')).decode(errors='replace')
            except (ValueError, RuntimeError) as e:
                # paddle's store raises on an interrupted receive (EINTR, seen while reading a live stream):
                # a look that failed is taken again at the next poll, it must not end the run.
                logger.debug("stop poll failed, retried: {}".format(e))
        return self.reason
