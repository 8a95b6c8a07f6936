from __future__ import annotations

import uuid

from duka.uploads.copy import ascending_uuid4s


def test_ascending_ids_are_distinct_sorted_version_4() -> None:
    ids = [uuid.UUID(bytes=b) for b in ascending_uuid4s(2000)]
    assert len(set(ids)) == 2000
    assert ids == sorted(ids)
    assert {i.version for i in ids} == {4}
    assert {i.variant for i in ids} == {uuid.RFC_4122}
    # Every bit but the 6 of version (0100) and variant (10) takes both values somewhere.
    ones, zeros = 0, 0
    for i in ids:
        ones |= i.int
        zeros |= ~i.int & ((1 << 128) - 1)
    assert bin(ones).count("1") == 128 - 4  # version 0100 and variant 10 hold 4 zeros
    assert bin(zeros).count("1") == 128 - 2  # ... and 2 ones


def test_no_ids() -> None:
    assert ascending_uuid4s(0) == []
