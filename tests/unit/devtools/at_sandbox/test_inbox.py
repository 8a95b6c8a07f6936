from __future__ import annotations

from devtools.at_sandbox.inbox import Inbox, InboxMessage


def _message(n: int, to: str = "+254711000001") -> InboxMessage:
    return InboxMessage(
        message_id=f"ATXid_{n}",
        to=to,
        sender=None,
        message=f"m{n}",
        status="Success",
        status_code=101,
        cost="KES 0.8000",
    )


def test_the_inbox_keeps_only_the_newest_messages_and_counts_the_rest() -> None:
    inbox = Inbox(limit=3)
    for n in range(5):
        inbox.add(_message(n))
    assert [m.message_id for m in inbox.find()] == ["ATXid_4", "ATXid_3", "ATXid_2"]
    assert (inbox.count(), inbox.evicted, inbox.accepted_total) == (3, 2, 5)
    assert inbox.get("ATXid_0") is None


def test_find_filters_by_number_newest_first_with_a_limit() -> None:
    inbox = Inbox(limit=10)
    for n in range(4):
        inbox.add(_message(n, to="+1" if n % 2 else "+2"))
    assert [m.message_id for m in inbox.find(number="+1")] == ["ATXid_3", "ATXid_1"]
    assert [m.message_id for m in inbox.find(limit=1)] == ["ATXid_3"]
    assert (inbox.count("+1"), inbox.count("+3")) == (2, 0)


def test_reports_update_the_message_and_readers_get_copies() -> None:
    inbox = Inbox(limit=10)
    inbox.add(_message(1))
    inbox.mark_reported("ATXid_1", "Success")
    inbox.mark_reported("ATXid_1", "Success")
    inbox.mark_reported("ATXid_missing", "Failed")
    stored = inbox.get("ATXid_1")
    assert stored is not None
    assert (stored.delivery_status, stored.reports_sent) == ("Success", 2)
    stored.message = "changed"
    assert inbox.find()[0].message == "m1"


def test_json_form_uses_at_style_names() -> None:
    data = _message(1).to_json()
    assert set(data) == {
        "messageId",
        "to",
        "from",
        "message",
        "status",
        "statusCode",
        "cost",
        "receivedAt",
        "deliveryStatus",
        "reportsSent",
    }
    assert str(data["receivedAt"]).endswith("+00:00")


def test_clear_empties_and_resets_counters() -> None:
    inbox = Inbox(limit=1)
    inbox.add(_message(1))
    inbox.add(_message(2))
    inbox.clear()
    assert (inbox.count(), inbox.evicted, inbox.accepted_total, inbox.find()) == (0, 0, 0, [])
