"""The stages of a run beside one another: :func:`read_ahead` runs the stages before the tracker (decoding, the
detector, crops) in background threads a few frames ahead, and :class:`WriteBehind` runs the one after it (drawing,
video) a few frames behind, each through a bounded queue, so that memory stays bounded and a stage waits when the
next one falls behind. OpenCV, paddle.inference and ONNX Runtime release the GIL while they work, so the threads
really run beside one another; each stage still sees the frames in order, so the results are those of a run in
line."""

import queue
import threading

__all__ = ['read_ahead', 'WriteBehind']

_DONE = object()


def read_ahead(items, depth):
    """Iterate ``items`` (an iterator) in a background thread, at most ``depth`` items ahead; ``depth`` 0 iterates
    in line. An exception in the thread is raised here, where the item it failed on would have come; leaving
    the loop early stops the thread."""
    if depth <= 0:
        yield from items
        return
    ready = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce():
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        ready.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put((_DONE, None))
        except BaseException as e:  # handed to the consumer, which raises it
            ready.put((_DONE, e))

    thread = threading.Thread(target=produce, name='read-ahead', daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                ready.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()


class WriteBehind:
    """Runs calls in order in a background thread, at most ``depth`` behind the caller (``depth`` 0: in line). An
    exception a call raised is raised again by the next :meth:`submit` or by :meth:`close`, and the calls after it
    are dropped; leaving the ``with`` block waits for every call submitted."""

    def __init__(self, depth):
        self._queue = queue.Queue(maxsize=depth) if depth > 0 else None
        self._error = None
        self._thread = None
        if self._queue is not None:
            self._thread = threading.Thread(target=self._consume, name='write-behind', daemon=True)
            self._thread.start()

    def _consume(self):
        while True:
            call = self._queue.get()
            if call is None:
                return
            if self._error is None:
                try:
                    call()
                except BaseException as e:  # raised in the caller's thread
                    self._error = e

    def submit(self, call):
        """Run ``call()`` (no arguments) after the calls submitted before it."""
        self._raise()
        if self._queue is None:
            call()
        else:
            self._queue.put(call)

    def _raise(self):
        if self._error is not None:
            raise self._error

    def close(self):
        """Wait for every call submitted; raise the error of one that failed."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.close()
        else:  # already failing: wait for the thread, keep the first error
            if self._thread is not None and self._thread.is_alive():
                self._queue.put(None)
                self._thread.join()
        return False
