"""SpareThreads: work goes to an idle thread, or runs at once in the caller; never queues."""

from __future__ import annotations

import threading

import pytest

from indexer.engines.spare_threads import SpareThreads


def test_work_runs_beside_the_caller_while_a_thread_is_idle_else_in_the_caller() -> None:
    spare = SpareThreads(1, "test")
    release = threading.Event()
    started = threading.Event()

    def hold() -> str:
        started.set()
        release.wait(5)
        return threading.current_thread().name

    first = spare.start(hold)
    assert started.wait(5)
    # The one thread is busy: the next piece runs here, at once, not after `hold`.
    second = spare.start(lambda: threading.current_thread().name)
    assert second.done()
    assert second.result() == threading.current_thread().name
    release.set()
    assert first.result(5).startswith("test")
    # Free again: work goes to the pool's thread.
    assert spare.start(lambda: threading.current_thread().name).result(5).startswith("test")


def test_an_error_reaches_the_caller_either_way() -> None:
    spare = SpareThreads(1, "test")

    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        spare.start(fail).result(5)  # on the pool's thread
    release = threading.Event()
    busy = spare.start(lambda: release.wait(5))
    with pytest.raises(ValueError, match="boom"):
        spare.start(fail).result(5)  # in the caller
    release.set()
    busy.result(5)
    # The failed pieces gave their thread back.
    assert spare.start(lambda: threading.current_thread().name).result(5).startswith("test")
