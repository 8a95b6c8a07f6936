"""The per-process customer snapshots: look-ups by id and code, bounds and ageing."""

from __future__ import annotations

import uuid

import pytest

from duka.orders.customer_snapshots import CustomerSnapshot, CustomerSnapshots


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def snapshot(code: str = "CUST-000001", version: str = "1") -> CustomerSnapshot:
    return CustomerSnapshot(
        id=uuid.uuid4(), code=code, name="Jane", phone="+254712345678", version=version
    )


def test_a_remembered_customer_is_found_by_id_and_by_code_in_any_case() -> None:
    snapshots = CustomerSnapshots()
    jane = snapshot("Shop-7")
    snapshots.remember(jane)
    assert snapshots.by_id(jane.id) is jane
    assert snapshots.by_code("SHOP-7") is jane
    assert snapshots.by_code("shop-7") is jane
    assert snapshots.by_code("SHOP-8") is None
    assert snapshots.by_id(uuid.uuid4()) is None


def test_a_newer_snapshot_replaces_the_older_one() -> None:
    snapshots = CustomerSnapshots()
    old = snapshot(version="1")
    new = CustomerSnapshot(old.id, "CUST-NEW", old.name, old.phone, "2")
    snapshots.remember(old)
    snapshots.remember(new)
    assert snapshots.by_id(old.id) is new
    assert snapshots.by_code("CUST-NEW") is new
    assert snapshots.by_code(old.code) is None  # the old code no longer names it
    assert len(snapshots) == 1


def test_a_code_taken_over_by_another_customer_points_at_the_new_one() -> None:
    snapshots = CustomerSnapshots()
    old, new = snapshot("SHOP-7"), snapshot("SHOP-7")
    snapshots.remember(old)
    snapshots.remember(new)
    assert snapshots.by_code("SHOP-7") is new
    snapshots.forget(old)  # forgetting the old one leaves the code with the new one
    assert snapshots.by_code("SHOP-7") is new
    snapshots.forget(new)
    assert snapshots.by_code("SHOP-7") is None
    snapshots.forget(new)  # twice is harmless


def test_snapshots_age_out() -> None:
    clock = Clock()
    snapshots = CustomerSnapshots(ttl_s=60, clock=clock)
    jane = snapshot()
    snapshots.remember(jane)
    clock.now += 59
    assert snapshots.by_code(jane.code) is jane
    clock.now += 1
    assert snapshots.by_code(jane.code) is None
    assert len(snapshots) == 0


def test_the_oldest_snapshot_goes_first_when_full() -> None:
    snapshots = CustomerSnapshots(max_entries=2)
    first, second, third = snapshot("A-1"), snapshot("A-2"), snapshot("A-3")
    for each in (first, second, third):
        snapshots.remember(each)
    assert len(snapshots) == 2
    assert snapshots.by_code("A-1") is None
    assert snapshots.by_code("A-2") is second
    assert snapshots.by_code("A-3") is third


@pytest.mark.parametrize(("max_entries", "ttl_s"), [(0, 60.0), (10, 0.0)])
def test_bounds_must_be_positive(max_entries: int, ttl_s: float) -> None:
    with pytest.raises(ValueError, match="max_entries"):
        CustomerSnapshots(max_entries=max_entries, ttl_s=ttl_s)


@pytest.mark.parametrize(
    ("customer_code", "visible"), [(None, True), ("shop-7", True), ("SHOP-8", False)]
)
def test_a_customer_login_sees_only_its_own_customer(
    customer_code: str | None, visible: bool
) -> None:
    assert snapshot("SHOP-7").visible_to(customer_code) is visible
