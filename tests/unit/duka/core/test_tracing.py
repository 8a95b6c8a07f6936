"""W3C traceparent parsing and request ids: what is accepted, what is made instead."""

from __future__ import annotations

import re

import pytest

from duka.core.tracing import (
    REQUEST_ID_MAX,
    TraceParent,
    new_request_id,
    parse_traceparent,
    request_span,
    valid_request_id,
)

VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
SHAPE = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


def test_a_valid_traceparent_is_parsed() -> None:
    assert parse_traceparent(VALID) == TraceParent(
        "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "01"
    )
    assert str(parse_traceparent(VALID)) == VALID


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # unknown version
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  # upper case
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero parent id
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  # short trace id
        VALID + "-extra",
    ],
)
def test_invalid_traceparents_are_ignored(value: str | None) -> None:
    assert parse_traceparent(value) is None


def test_a_request_joins_the_callers_trace_with_a_span_of_its_own() -> None:
    span, parent = request_span(VALID)
    assert span.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert span.flags == "01"
    assert parent == "00f067aa0ba902b7"
    assert span.span_id != parent
    assert SHAPE.match(str(span))


def test_without_a_valid_traceparent_a_new_trace_starts() -> None:
    span, parent = request_span("nonsense")
    other, _ = request_span(None)
    assert parent is None
    assert SHAPE.match(str(span))
    assert span.trace_id != other.trace_id


@pytest.mark.parametrize(
    "value", ["abc", "7c1e0f0a-1b2c-4d5e-8f90-123456789abc", "req_1.2:3+4/5=6~7", "x" * 128]
)
def test_safe_request_ids_are_kept(value: str) -> None:
    assert valid_request_id(value) == value


@pytest.mark.parametrize(
    "value", [None, "", "x" * (REQUEST_ID_MAX + 1), "a b", 'a"b', "a\nb", "a\x00b", "é", "a;b"]
)
def test_unsafe_request_ids_are_refused(value: str | None) -> None:
    assert valid_request_id(value) is None


def test_new_request_ids_are_valid_and_distinct() -> None:
    made = {new_request_id() for _ in range(50)}
    assert len(made) == 50
    assert all(valid_request_id(r) == r for r in made)
