"""Where the next fair claim starts its round over the recipients."""

from __future__ import annotations

from duka.notifications.outbox.claim import last_turn


def test_the_cursor_moves_to_the_furthest_recipient_served_after_it() -> None:
    assert last_turn(["+2547002", "+2547005", "+2547003"], "+2547001") == "+2547005"


def test_after_a_wrap_around_the_cursor_is_the_last_one_served_from_the_start() -> None:
    assert last_turn(["+2547008", "+2547009", "+2547001", "+2547002"], "+2547007") == "+2547002"


def test_nothing_served_keeps_the_cursor() -> None:
    assert last_turn([], "+2547004") == "+2547004"
    assert last_turn([], "") == ""
