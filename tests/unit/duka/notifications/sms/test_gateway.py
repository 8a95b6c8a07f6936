from __future__ import annotations

import pytest

from duka.notifications.sms.gateway import SendOutcome, SendResult, SmsGateway
from tests.support.sms_gateway import FakeSmsGateway, accepted, permanent, transient, unknown

pytestmark = pytest.mark.anyio


def test_only_transient_results_are_retryable_and_only_accepted_ones_accepted() -> None:
    cases = {
        SendOutcome.ACCEPTED: (True, False),
        SendOutcome.TRANSIENT: (False, True),
        SendOutcome.PERMANENT: (False, False),
        SendOutcome.UNKNOWN: (False, False),
    }
    for outcome, (is_accepted, is_retryable) in cases.items():
        result = SendResult(outcome, "x")
        assert (result.accepted, result.retryable) == (is_accepted, is_retryable)


async def test_fake_gateway_plays_scripts_per_recipient_then_accepts() -> None:
    fake = FakeSmsGateway()
    gateway: SmsGateway = fake  # the fake satisfies the port (checked by mypy)
    fake.script("+254700000001", transient(), unknown())
    fake.script("+254700000002", permanent(needs_operator=True))

    first = await gateway.send("+254700000001", "a", idempotency_key="k1")
    other = await gateway.send("+254700000002", "b", sender_id="DUKA")
    second = await gateway.send("+254700000001", "a")
    third = await gateway.send("+254700000001", "a")

    assert [first.outcome, second.outcome, third.outcome] == [
        SendOutcome.TRANSIENT,
        SendOutcome.UNKNOWN,
        SendOutcome.ACCEPTED,
    ]
    assert other.outcome is SendOutcome.PERMANENT
    assert other.needs_operator
    assert third.provider_message_id is not None
    assert [s.idempotency_key for s in fake.sent_to("+254700000001")] == ["k1", None, None]
    assert fake.sent_to("+254700000002")[0].sender_id == "DUKA"


async def test_fake_gateway_default_result_and_fresh_ids() -> None:
    fake = FakeSmsGateway()
    one, two = await fake.send("+254700000001", "a"), await fake.send("+254700000001", "a")
    assert one.provider_message_id != two.provider_message_id
    fixed = FakeSmsGateway(default=accepted("ATXid_same"))
    assert (await fixed.send("+254700000009", "x")).provider_message_id == "ATXid_same"
