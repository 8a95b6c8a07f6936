"""The runner process's garbage collector, settled once its start-up is done.

Why: a runner keeps a large, long-lived heap (Prefect, SQLAlchemy, pydantic models and the
runner's context: about 190,000 tracked objects) and every SMS's task run allocates many
short-lived containers. With CPython's default thresholds (700, 10, 10) the collector ran
about 1,400 young collections and 11 full ones per 3,000 SMS, each full one walking the
whole heap (~0.1 s): 1.9 s of CPU, 0.63 ms per SMS, a tenth of the runner's cost
(docs/benchmarks.md, "Order SMS": gc.callbacks timing in a backlog drain).

What: once the runner has started, the heap built so far is frozen (`gc.freeze`: the
collector no longer walks it; it is freed by reference counting as before, only never
scanned for cycles), and the young generation is collected after 10,000 net allocations
instead of 700, so that a task run's temporaries mostly die before a collection sees
them. Measured in the same drain: 0.43 s of collection instead of 1.9 s (0.14 ms per
SMS). Cyclic garbage waits a little longer to be freed: memory, not correctness.
"""

from __future__ import annotations

import gc

# (young, middle, old): a young collection after 10,000 net allocations, a middle one
# every 20 young ones, a full one every 20 middle ones (and CPython's own 25 % rule).
THRESHOLDS = (10_000, 20, 20)


def settle() -> None:
    """Freeze what start-up built, and collect less often from now on (once per process,
    after the runner's context, Prefect and the flows are loaded)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
