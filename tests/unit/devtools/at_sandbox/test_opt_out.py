"""Opt-outs in the sandbox: the blacklist answers 406 UserInBlacklist like AT, and the
opt-out notification is POSTed to the callback (retried, then given up)."""

from __future__ import annotations

from urllib.parse import parse_qsl

import httpx
import pytest

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultConfig, FaultInjector
from devtools.at_sandbox.messaging import SendRequest, decide
from devtools.at_sandbox.opt_out import ATTEMPTS, Blacklist, OptOutNotifier, opt_out_form

pytestmark = pytest.mark.anyio

URL = "http://receiver.test/opt-out"


def test_a_blacklisted_number_is_answered_user_in_blacklist() -> None:
    blacklist = Blacklist()
    blacklist.add("+254711000002")
    request = SendRequest("sandbox", ["+254711000001", "+254711000002"], "hi", None)
    outcome = decide(request, SandboxConfig(), FaultInjector(FaultConfig()), blacklist)
    answered = [
        (r["number"], r["statusCode"], r["status"])
        for r in outcome.body["SMSMessageData"]["Recipients"]  # type: ignore[index]
    ]
    assert answered == [
        ("+254711000001", 101, "Success"),
        ("+254711000002", 406, "UserInBlacklist"),
    ]
    assert [m.to for m in outcome.accepted] == ["+254711000001"]
    assert blacklist.remove("+254711000002")
    assert not blacklist.remove("+254711000002")
    assert "+254711000002" not in blacklist


def test_the_form_has_ats_fields() -> None:
    assert opt_out_form("+254711000001", "DUKA") == {
        "phoneNumber": "+254711000001",
        "senderId": "DUKA",
    }
    assert opt_out_form("+254711000001", None) == {"phoneNumber": "+254711000001"}


async def test_the_notification_is_posted_and_retried() -> None:
    answers = [500, 200]
    forms: list[dict[str, str]] = []

    def receive(request: httpx.Request) -> httpx.Response:
        forms.append(dict(parse_qsl(request.content.decode())))
        return httpx.Response(answers.pop(0))

    client = httpx.AsyncClient(transport=httpx.MockTransport(receive))
    notifier = OptOutNotifier(URL, client=client, backoff_s=0)
    assert await notifier.notify("+254711000001", "DUKA")
    assert forms == [{"phoneNumber": "+254711000001", "senderId": "DUKA"}] * 2
    await notifier.aclose()


async def test_a_dead_receiver_is_given_up_and_no_url_sends_nothing() -> None:
    calls = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    assert not await OptOutNotifier(URL, client=client, backoff_s=0).notify("+2547", None)
    assert calls == ATTEMPTS
    assert not await OptOutNotifier(None).notify("+254711000001", None)
