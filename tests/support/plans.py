"""Reading PostgreSQL's JSON plans in tests: which scans a statement's plan makes."""

from __future__ import annotations

from typing import Any


def scans(plan: Any) -> list[tuple[str, str | None]]:
    """Every scan node of an `EXPLAIN (FORMAT JSON)` plan: (node type, index name)."""
    found: list[tuple[str, str | None]] = []
    if isinstance(plan, dict):
        if "Scan" in plan.get("Node Type", ""):
            found.append((plan["Node Type"], plan.get("Index Name")))
        for value in plan.values():
            found += scans(value)
    elif isinstance(plan, list):
        for value in plan:
            found += scans(value)
    return found
