"""Reading ahead: a sequence's frames decoded, its detections read and its crops cut in a background thread, a
few frames ahead of the models, so that on a CPU decoding and the ReID model run on different cores. OpenCV
releases the GIL while it decodes and resizes, so the thread really runs beside the main one."""

import queue
import threading

__all__ = ['read_ahead']

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
