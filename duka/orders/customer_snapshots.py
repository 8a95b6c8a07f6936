"""Recently seen customers, so that creating an order usually takes one statement, not two.

An order needs its customer's id, name and phone (the SMS text is rendered from them). A
snapshot of those, taken with the row's version (PostgreSQL's `xmin`, which changes with
every update of the row), lets the order insert check in the same statement that the row
is still exactly as seen: the insert finds no customer, and the service looks it up again,
when the customer was changed or deleted since. So a snapshot can be stale but never used
stale; the cache only bounds how many are kept and for how long.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from duka.core.visibility import code_visible

DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_TTL_S = 300.0


@dataclass(frozen=True, slots=True)
class CustomerSnapshot:
    id: UUID
    code: str
    name: str
    phone: str
    version: str  # the row's xmin, as text

    def visible_to(self, customer_code: str | None) -> bool:
        """A customer's own login sees only itself (api/core/visibility.py)."""
        return code_visible(customer_code, self.code)


class CustomerSnapshots:
    """Snapshots by id and by lower-cased code; bounded, oldest first out, and aged."""

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1 or ttl_s <= 0:
            raise ValueError("max_entries must be >= 1 and ttl_s > 0")
        self._max = max_entries
        self._ttl_s = ttl_s
        self._clock = clock
        self._by_id: dict[UUID, tuple[float, CustomerSnapshot]] = {}
        self._id_by_code: dict[str, UUID] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def by_id(self, customer_id: UUID) -> CustomerSnapshot | None:
        entry = self._by_id.get(customer_id)
        if entry is None:
            return None
        taken_at, snapshot = entry
        if self._clock() - taken_at >= self._ttl_s:
            self.forget(snapshot)
            return None
        return snapshot

    def by_code(self, code: str) -> CustomerSnapshot | None:
        customer_id = self._id_by_code.get(code.lower())
        return None if customer_id is None else self.by_id(customer_id)

    def remember(self, snapshot: CustomerSnapshot) -> None:
        old = self._by_id.pop(snapshot.id, None)
        if old is not None:
            self._id_by_code.pop(old[1].code.lower(), None)
        while len(self._by_id) >= self._max:
            self.forget(self._by_id[next(iter(self._by_id))][1])
        self._by_id[snapshot.id] = (self._clock(), snapshot)
        self._id_by_code[snapshot.code.lower()] = snapshot.id

    def forget(self, snapshot: CustomerSnapshot) -> None:
        entry = self._by_id.pop(snapshot.id, None)
        if entry is not None:
            code = entry[1].code.lower()
            if self._id_by_code.get(code) == snapshot.id:
                del self._id_by_code[code]
