"""Asking the sandbox's inbox about a send with an unknown outcome (HTTP mocked)."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from duka.core.settings import Settings
from flows.lookup import SandboxInboxLookup, lookup_from_settings
from flows.settings import SmsFlowSettings

pytestmark = pytest.mark.anyio

NUMBER = "+254700000001"


def inbox(*messages: dict[str, object], evicted: int = 0, status: int = 200) -> SandboxInboxLookup:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/_sandbox/inbox"
        assert request.url.params["number"] == NUMBER
        return httpx.Response(status, json={"messages": list(messages), "evicted": evicted})

    return SandboxInboxLookup("http://sandbox.test/", transport=httpx.MockTransport(answer))


def message(message_id: str, text: str = "Hi", to: str = NUMBER) -> dict[str, object]:
    return {"messageId": message_id, "to": to, "message": text}


async def test_matching_messages_oldest_first() -> None:
    lookup = inbox(message("new"), message("other text", "Bye"), message("old"))
    assert await lookup.message_ids(NUMBER, "Hi") == ["old", "new"]
    await lookup.aclose()


async def test_no_match_proves_absence() -> None:
    assert await inbox(message("x", "Bye")).message_ids(NUMBER, "Hi") == []


@pytest.mark.parametrize(
    "lookup",
    [
        inbox(message("x"), evicted=3),
        inbox(status=503),
    ],
    ids=["evicted", "http-error"],
)
async def test_an_unsure_inbox_says_so(lookup: SandboxInboxLookup) -> None:
    assert await lookup.message_ids(NUMBER, "Hi") is None


async def test_a_garbled_answer_is_unsure() -> None:
    lookup = SandboxInboxLookup(
        "http://sandbox.test",
        transport=httpx.MockTransport(lambda _: httpx.Response(200, content=b"not json")),
    )
    assert await lookup.message_ids(NUMBER, "Hi") is None


def test_production_has_no_lookup_and_the_sandbox_needs_its_url() -> None:
    assert lookup_from_settings(Settings(), SmsFlowSettings()) is None
    sandbox = SmsFlowSettings(unknown_lookup="sandbox_inbox")
    with pytest.raises(ValueError, match="DUKA_AT_BASE_URL"):
        lookup_from_settings(Settings(), sandbox)
    found = lookup_from_settings(
        Settings(at_api_key=SecretStr("k"), at_base_url="http://127.0.0.1:8025"), sandbox
    )
    assert isinstance(found, SandboxInboxLookup)
