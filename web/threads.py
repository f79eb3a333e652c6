"""Where search work runs: worker threads, at most a few at once.

A search is mostly Python (parsing, facet labels, the JSON or HTML of the answer) around
tantivy, which releases the GIL while it searches. With anyio's default 40 worker threads,
32 concurrent searches all wait on the one GIL and spend their time handing it over; a few
threads keep both cores busy with less of that (measured in docs/benchmarks.md). A limiter of
their own keeps slow work elsewhere (imports, exports) from holding these threads and the
reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import Request

T = TypeVar("T")
# 4 against anyio's 40, one process at 100k, wrk -c32 over the rotation: 217 req/s against
# ~200, the same p50 one request at a time (docs/benchmarks.md); 2, 6 and 8 were no better.
SEARCH_THREADS = 4


def search_limiter() -> CapacityLimiter:
    """The app's limiter for search work; made in its lifespan, inside the event loop that
    serves it (the app factory puts it in ``app.state.search_limiter``)."""
    return CapacityLimiter(SEARCH_THREADS)


async def in_search_thread(request: Request, work: Callable[[], T]) -> T:
    """Run ``work`` (a search and the rendering of its answer) in a search worker thread."""
    limiter: CapacityLimiter = request.app.state.search_limiter
    return await to_thread.run_sync(work, limiter=limiter)
