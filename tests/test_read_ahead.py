"""Reading ahead in a background thread: items come in order, an error of the reader reaches the consumer after the
items read before it, and a consumer that stops early stops the thread."""

import threading

import pytest

from ppdet_deepsort.data.read_ahead import read_ahead


def test_an_error_of_the_reader_reaches_the_consumer_after_the_items_before_it():
    def items():
        yield from range(5)
        raise OSError('disk gone')

    got = []
    with pytest.raises(OSError, match='^disk gone$'):
        for item in read_ahead(items(), 2):
            got.append(item)
    assert got == list(range(5))


def test_a_consumer_that_stops_early_stops_the_thread():
    early = read_ahead(iter(range(1000)), 3)
    assert [next(early) for _ in range(3)] == [0, 1, 2]
    early.close()  # the thread is told to stop and joined
    assert not any(t.name == 'read-ahead' and t.is_alive() for t in threading.enumerate())


def test_in_line_reading_gives_the_same_items():
    assert list(read_ahead(iter(range(10)), 0)) == list(range(10))
