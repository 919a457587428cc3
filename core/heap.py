"""Keep long-lived structures out of the garbage collector's full passes (gc.freeze).

An API process holds large structures built once and read by every request: the query vocabulary (some
300,000 terms), the title index, the Q&A index. Python's cyclic collector walks every tracked object on each
collection of its oldest generation, and that walk stops every thread of the process: with these structures on
the heap a full collection took 200–500 ms (`yw_gc_pause_seconds`, docs/operations.md "Where the requests
wait"), and each stalled every request in flight. They hold no reference cycles that would need the collector
to be freed (dropping the last reference frees them, frozen or not), so once built they are moved to the
collector's permanent generation, where no collection looks at them.

What `gc.freeze` also freezes is whatever else is alive at that moment: a cycle among those objects that later
becomes garbage is never reclaimed. That is why it is called only after a large build (at start and at each
rebuild: while documents arrive a vocabulary rebuild at most every 19 build times, some 15-25 s, else every
15 minutes), never per request. Measured after ten bursts of live changes and their rebuilds (`python -m
ops.bench.live_memory`): an unfreeze and a full collection found 509-1,093 unreachable objects, under 0.5 MB —
what the freezes had kept of garbage.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def keep_built(what: str) -> None:
    """Move everything alive now, including the structure `what` just built, out of future collections."""
    gc.freeze()  # cheap: a list splice under the GIL
    log.debug("heap frozen after a build", extra={"built": what, "frozen_objects": gc.get_freeze_count()})
