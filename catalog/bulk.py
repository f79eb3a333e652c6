"""Tuning for bulk work (loading a demo catalog, indexing it).

Bulk loads allocate millions of short-lived objects. With the default thresholds the cyclic
garbage collector runs every 700 allocations, and its full collections walk the whole heap
(the gazetteer's ZIP codes, the records being loaded), which cost 40-50% of the CPU of a
100k demo load and its indexing. Reference counting still frees everything as usual; the
higher thresholds only make cycle collection rarer while the work runs.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BULK_THRESHOLDS = (100_000, 50, 100)


@contextmanager
def rare_collections() -> Iterator[None]:
    """Collect cycles rarely while the block runs, then restore the thresholds."""
    saved = gc.get_threshold()
    gc.set_threshold(*BULK_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*saved)
