"""The Africa's Talking adapter driving the official SDK against the local sandbox."""

from __future__ import annotations

import socket
from typing import Any

import anyio
import pytest
from pydantic import SecretStr
from requests.adapters import HTTPAdapter

from devtools.at_sandbox.faults import FaultConfig
from devtools.at_sandbox.runner import SandboxServer
from duka.core.settings import Settings
from duka.notifications.sms.at_gateway import AfricasTalkingGateway
from duka.notifications.sms.at_session import KeepAliveSMSService
from duka.notifications.sms.gateway import SendOutcome

pytestmark = pytest.mark.anyio

NUMBER = "+254711000001"


def _gateway(sandbox: SandboxServer, **kwargs: Any) -> AfricasTalkingGateway:
    options: dict[str, Any] = {
        "username": sandbox.config.username,
        "api_key": sandbox.config.api_key,
        "base_url": sandbox.base_url,
        "timeout_s": 2.0,
    }
    return AfricasTalkingGateway(**(options | kwargs))


async def test_an_accepted_send_has_an_id_a_cost_and_reaches_the_inbox(
    sandbox: SandboxServer,
) -> None:
    settings = Settings(
        at_api_key=SecretStr(sandbox.config.api_key),
        at_base_url=sandbox.base_url,
        at_sender_id="DUKA",
    )
    gateway = AfricasTalkingGateway.from_settings(settings)
    result = await gateway.send(NUMBER, "Hi Jane, order ORD-1 received")

    assert result.outcome is SendOutcome.ACCEPTED
    assert result.provider_message_id is not None
    assert result.provider_message_id.startswith("ATXid_")
    assert (result.cost, result.status_code, result.reason) == ("KES 0.8000", 101, "Success")
    [stored] = sandbox.state.inbox.find(number=NUMBER)
    assert (stored.message_id, stored.sender, stored.message) == (
        result.provider_message_id,
        "DUKA",
        "Hi Jane, order ORD-1 received",
    )


async def test_a_wrong_api_key_is_permanent_and_needs_an_operator(
    sandbox: SandboxServer,
) -> None:
    result = await _gateway(sandbox, api_key="wrong").send(NUMBER, "hi")
    assert (result.outcome, result.reason, result.needs_operator) == (
        SendOutcome.PERMANENT,
        "bad_credentials",
        True,
    )
    assert sandbox.state.inbox.count() == 0


@pytest.mark.parametrize(
    ("code", "outcome", "operator"),
    [
        (403, SendOutcome.PERMANENT, False),
        (405, SendOutcome.PERMANENT, True),
        (406, SendOutcome.PERMANENT, False),
        (407, SendOutcome.TRANSIENT, False),
        (502, SendOutcome.TRANSIENT, False),
        (102, SendOutcome.ACCEPTED, False),
    ],
)
async def test_per_number_statuses_are_classified(
    sandbox: SandboxServer, code: int, outcome: SendOutcome, operator: bool
) -> None:
    sandbox.state.set_faults(FaultConfig(status_by_number={NUMBER: code}))
    result = await _gateway(sandbox).send(NUMBER, "hi")
    assert (result.outcome, result.status_code, result.needs_operator) == (outcome, code, operator)


async def test_an_unregistered_sender_id_is_permanent(sandbox: SandboxServer) -> None:
    with SandboxServer(sandbox.config.model_copy(update={"sender_ids": ["DUKA"]})) as strict:
        refused = await _gateway(strict, sender_id="OTHER").send(NUMBER, "hi")
        allowed = await _gateway(strict, sender_id="DUKA").send(NUMBER, "hi")
    assert (refused.outcome, refused.reason, refused.needs_operator) == (
        SendOutcome.PERMANENT,
        "InvalidSenderId",
        True,
    )
    assert allowed.outcome is SendOutcome.ACCEPTED


@pytest.mark.parametrize("after_record", [False, True])
@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("error_rate", "provider_error"),
        ("bad_gateway_rate", "bad_gateway"),
        ("gateway_timeout_rate", "provider_timeout"),
    ],
)
async def test_a_5xx_after_the_request_was_sent_is_unknown(
    sandbox: SandboxServer, after_record: bool, fault: str, reason: str
) -> None:
    """AT (500) or a proxy in front of it (502, 504) may fail after AT recorded the message:
    the client cannot tell, so a resend could double it."""
    sandbox.state.set_faults(
        FaultConfig.model_validate({fault: 1.0, "fault_after_record": after_record})
    )
    result = await _gateway(sandbox).send(NUMBER, "hi")
    assert (result.outcome, result.reason) == (SendOutcome.UNKNOWN, reason)
    assert sandbox.state.inbox.count(NUMBER) == (1 if after_record else 0)


async def test_a_tls_handshake_that_fails_is_transient(sandbox: SandboxServer) -> None:
    """The sandbox speaks plain HTTP: the handshake fails before any byte of the request."""
    gateway = _gateway(sandbox, base_url=sandbox.base_url.replace("http:", "https:"))
    result = await gateway.send(NUMBER, "hi")
    assert (result.outcome, result.reason) == (SendOutcome.TRANSIENT, "tls_error")
    assert sandbox.state.inbox.count(NUMBER) == 0


@pytest.mark.parametrize("after_record", [False, True])
async def test_a_timeout_is_unknown_because_the_message_may_have_gone(
    sandbox: SandboxServer, after_record: bool
) -> None:
    sandbox.state.set_faults(
        FaultConfig(timeout_rate=1.0, timeout_hold_s=1.0, fault_after_record=after_record)
    )
    with anyio.fail_after(5):
        result = await _gateway(sandbox, timeout_s=0.3).send(NUMBER, "hi")
    assert (result.outcome, result.reason) == (SendOutcome.UNKNOWN, "timeout")
    assert sandbox.state.inbox.count(NUMBER) == (1 if after_record else 0)


async def test_a_late_gateway_timeout_answer_is_unknown_too(sandbox: SandboxServer) -> None:
    sandbox.state.set_faults(
        FaultConfig(timeout_rate=1.0, timeout_hold_s=0.1, timeout_then="answer")
    )
    result = await _gateway(sandbox, timeout_s=2.0).send(NUMBER, "hi")
    assert (result.outcome, result.reason) == (SendOutcome.UNKNOWN, "provider_timeout")


async def test_a_connection_dropped_mid_answer_is_unknown(sandbox: SandboxServer) -> None:
    sandbox.state.set_faults(FaultConfig(disconnect_rate=1.0, fault_after_record=True))
    result = await _gateway(sandbox).send(NUMBER, "hi")
    assert (result.outcome, result.reason) == (SendOutcome.UNKNOWN, "connection_lost")
    assert sandbox.state.inbox.count(NUMBER) == 1


async def test_nothing_listening_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = AfricasTalkingGateway(
        username="sandbox", api_key="k", base_url=f"http://127.0.0.1:{port}", timeout_s=1.0
    )
    result = await gateway.send(NUMBER, "hi")
    assert (result.outcome, result.reason) == (SendOutcome.TRANSIENT, "connect_error")


async def test_a_slow_send_does_not_block_the_event_loop(sandbox: SandboxServer) -> None:
    sandbox.state.set_faults(FaultConfig(latency_s=0.4))
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.01)
            ticks += 1

    async with anyio.create_task_group() as tg:
        tg.start_soon(tick)
        result = await _gateway(sandbox).send(NUMBER, "hi")
        tg.cancel_scope.cancel()
    assert result.outcome is SendOutcome.ACCEPTED
    assert ticks >= 5  # ~40 if the loop ran freely, 0 if the send had blocked it


async def test_sends_from_one_worker_thread_share_one_connection(
    sandbox: SandboxServer,
) -> None:
    service = KeepAliveSMSService(sandbox.config.username, sandbox.config.api_key)
    service._baseUrl = sandbox.base_url + "/version1"

    def send_three() -> int:
        for n in range(3):
            service.send(f"hi {n}", [NUMBER])
        url = service._make_url("/messaging")
        adapter = service.session(url).get_adapter(url)
        assert isinstance(adapter, HTTPAdapter)
        pools = adapter.poolmanager.pools
        [key] = pools.keys()
        return int(pools[key].num_connections)

    assert await anyio.to_thread.run_sync(send_three) == 1
    assert sandbox.state.inbox.count(NUMBER) == 3
