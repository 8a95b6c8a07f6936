"""The sandbox app in-process (no sockets): validation, auth, faults and the admin API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from devtools.at_sandbox.app import create_app
from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultConfig
from devtools.at_sandbox.state import SandboxState

pytestmark = pytest.mark.anyio

KEY = {"apiKey": "k"}
FORM = {"username": "sandbox", "to": "+254711000001", "message": "hi"}


@pytest.fixture
def state() -> SandboxState:
    return SandboxState(SandboxConfig(api_key="k", max_body_bytes=2048))


@pytest.fixture
async def client(state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(state.config)
    app.state.sandbox = state
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8025") as c:
        yield c


async def _send(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    return await client.post("/version1/messaging", headers=KEY, data=FORM | form)


async def test_a_valid_send_answers_201_json(client: httpx.AsyncClient) -> None:
    response = await _send(client)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"  # the SDK compares exactly
    assert response.json()["SMSMessageData"]["Recipients"][0]["statusCode"] == 101


@pytest.mark.parametrize(
    "headers", [{}, {"apiKey": "wrong"}, {"apikey": "k "}], ids=["none", "wrong", "padded"]
)
async def test_a_bad_api_key_is_401_text(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post("/version1/messaging", headers=headers, data=FORM)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "The supplied authentication is invalid"


async def test_the_bulk_endpoint_checks_the_key_too(client: httpx.AsyncClient) -> None:
    bulk = {"username": "sandbox", "message": "m", "phoneNumbers": ["+254711000001"]}
    response = await client.post("/version1/messaging/bulk", headers={"apiKey": "x"}, json=bulk)
    assert response.status_code == 401


async def test_a_wrong_username_is_401(client: httpx.AsyncClient) -> None:
    assert (await _send(client, username="someone")).status_code == 401
    bulk = {"username": "someone", "message": "m", "phoneNumbers": ["+254711000001"]}
    assert (
        await client.post("/version1/messaging/bulk", headers=KEY, json=bulk)
    ).status_code == 401


async def test_the_api_key_header_name_is_case_insensitive(client: httpx.AsyncClient) -> None:
    response = await client.post("/version1/messaging", headers={"APIKEY": "k"}, data=FORM)
    assert response.status_code == 201


async def test_missing_fields_are_400_text_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/version1/messaging", headers=KEY, data={"username": "sandbox", "to": "+254711000001"}
    )
    assert response.status_code == 400
    assert response.text == "Request is missing required form field 'message'"


async def test_wrong_content_types_and_encodings_are_refused(client: httpx.AsyncClient) -> None:
    as_json = await client.post("/version1/messaging", headers=KEY, json=FORM)
    assert as_json.status_code == 415
    as_form = await client.post("/version1/messaging/bulk", headers=KEY, data=FORM)
    assert as_form.status_code == 415
    latin1 = await client.post(
        "/version1/messaging",
        headers=KEY | {"content-type": "application/x-www-form-urlencoded"},
        content=b"username=sandbox&to=%2B254711000001&message=caf\xe9",
    )
    assert latin1.status_code == 400
    assert "UTF-8" in latin1.text


async def test_oversized_bodies_are_413_before_anything_else(client: httpx.AsyncClient) -> None:
    response = await client.post("/version1/messaging", data=FORM | {"message": "x" * 5000})
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * 1000

    streamed = await client.post(
        "/version1/messaging/bulk",
        headers=KEY | {"content-type": "application/json"},
        content=chunks(),
    )
    assert streamed.status_code == 413


async def test_bulk_json_gets_the_same_answer_shape(
    client: httpx.AsyncClient, state: SandboxState
) -> None:
    body = {
        "username": "sandbox",
        "message": "m",
        "senderId": "DUKA",
        "phoneNumbers": ["+254711000001", "+254711000002"],
    }
    response = await client.post("/version1/messaging/bulk", headers=KEY, json=body)
    assert response.status_code == 201
    assert response.json()["SMSMessageData"]["Message"] == "Sent to 2/2 Total Cost: KES 1.6000"
    assert state.inbox.count() == 2


@pytest.mark.parametrize(
    ("content", "text"),
    [(b"{not json", "Request body is not JSON"), (b'{"username": "sandbox"}', "'message'")],
)
async def test_bad_bulk_bodies_are_400(
    client: httpx.AsyncClient, content: bytes, text: str
) -> None:
    response = await client.post(
        "/version1/messaging/bulk",
        headers=KEY | {"content-type": "application/json"},
        content=content,
    )
    assert response.status_code == 400
    assert text in response.text


@pytest.mark.parametrize(("after", "stored"), [(False, 0), (True, 1)])
async def test_an_injected_500_records_the_message_only_after_record(
    client: httpx.AsyncClient, state: SandboxState, after: bool, stored: int
) -> None:
    state.set_faults(FaultConfig(error_rate=1.0, fault_after_record=after))
    response = await _send(client)
    assert response.status_code == 500
    assert state.inbox.count() == stored


@pytest.mark.parametrize("after", [False, True])
@pytest.mark.parametrize(
    ("fault", "status", "title"),
    [("bad_gateway", 502, "502 Bad Gateway"), ("gateway_timeout", 504, "504 Gateway Time-out")],
)
async def test_a_proxy_page_answers_for_a_message_recorded_or_not(
    client: httpx.AsyncClient,
    state: SandboxState,
    after: bool,
    fault: str,
    status: int,
    title: str,
) -> None:
    state.set_faults(
        FaultConfig.model_validate({f"{fault}_rate": 1.0, "fault_after_record": after})
    )
    response = await _send(client)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f"<title>{title}</title>" in response.text
    assert state.inbox.count() == (1 if after else 0)
    # A recorded message is delivered and reported like any other.
    assert state.reporter.pending == 0


@pytest.mark.parametrize(("after", "status"), [(False, 504), (True, 201)])
async def test_a_timeout_that_answers_late_says_what_happened(
    client: httpx.AsyncClient, state: SandboxState, after: bool, status: int
) -> None:
    state.set_faults(
        FaultConfig(
            timeout_rate=1.0, timeout_hold_s=0.05, timeout_then="answer", fault_after_record=after
        )
    )
    response = await _send(client)
    assert response.status_code == status
    assert state.inbox.count() == (1 if after else 0)


async def test_latency_is_added(client: httpx.AsyncClient, state: SandboxState) -> None:
    import time

    state.set_faults(FaultConfig(latency_s=0.1))
    started = time.monotonic()
    assert (await _send(client)).status_code == 201
    assert time.monotonic() - started >= 0.1


async def test_faults_can_be_read_replaced_and_reset(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_sandbox/faults")).json()["error_rate"] == 0
    body: dict[str, Any] = {
        "error_rate": 0.5,
        "status_by_number": {"+254700000403": 403},
        "seed": 9,
    }
    replaced = await client.post("/_sandbox/faults", json=body)
    assert replaced.status_code == 200
    assert replaced.json()["error_rate"] == 0.5
    assert (await client.get("/_sandbox/faults")).json()["status_by_number"] == {
        "+254700000403": 403
    }
    reset = await client.delete("/_sandbox/faults")
    assert reset.json()["error_rate"] == 0
    assert reset.json()["status_by_number"] == {}


async def test_bad_fault_configs_are_400_and_change_nothing(client: httpx.AsyncClient) -> None:
    response = await client.post("/_sandbox/faults", json={"error_rate": 3})
    assert response.status_code == 400
    assert response.json()["errors"][0]["loc"] == ["error_rate"]
    not_json = await client.post(
        "/_sandbox/faults", content=b"error_rate=1", headers={"content-type": "text/plain"}
    )
    assert not_json.status_code == 415
    assert (await client.get("/_sandbox/faults")).json()["error_rate"] == 0


async def test_the_inbox_lists_filters_and_empties(client: httpx.AsyncClient) -> None:
    await _send(client, to="+254711000001,+254711000002")
    await _send(client, to="+254711000002", message="second")
    everything = (await client.get("/_sandbox/inbox")).json()
    assert (everything["count"], everything["acceptedTotal"], everything["evicted"]) == (3, 3, 0)
    mine = (
        await client.get("/_sandbox/inbox", params={"number": "+254711000002", "limit": "1"})
    ).json()
    assert mine["count"] == 2
    assert [m["message"] for m in mine["messages"]] == ["second"]
    assert (await client.get("/_sandbox/inbox", params={"limit": "x"})).json()["count"] == 3
    assert (await client.delete("/_sandbox/inbox")).status_code == 204
    assert (await client.get("/_sandbox/inbox")).json()["messages"] == []


async def test_the_inbox_page_is_escaped_and_locked_down(client: httpx.AsyncClient) -> None:
    await _send(client, message="<script>alert(1)</script>")
    page = await client.get("/_sandbox/inbox.html", params={"number": "<b>"})
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text
    assert "<b>" not in page.text
    unfiltered = await client.get("/_sandbox/inbox.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in unfiltered.text


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_sandbox/health")).json() == {"status": "ok"}


@pytest.mark.parametrize("host", ["127.0.0.1:8025", "localhost:8025", "127.8.9.10:8025"])
async def test_the_controls_answer_requests_to_a_loopback_host(
    client: httpx.AsyncClient, host: str
) -> None:
    response = await client.get("/_sandbox/inbox", headers={"host": host})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example:8025",  # DNS rebinding: the page's own name
        "attacker.example",
        "127.0.0.1",  # no port: 80
        "127.0.0.1:8026",  # another port
        "localhost.:8025",
        "127.0.0.1.attacker.example:8025",
        "10.0.0.1:8025",
        "::1:8025",
        "",
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_sandbox/inbox"),
        ("GET", "/_sandbox/inbox.html"),
        ("DELETE", "/_sandbox/inbox"),
        ("GET", "/_sandbox/faults"),
        ("POST", "/_sandbox/faults"),
        ("DELETE", "/_sandbox/faults"),
        ("POST", "/version1/messaging"),
        ("POST", "/version1/messaging/bulk"),
    ],
)
async def test_the_controls_refuse_other_hosts(
    client: httpx.AsyncClient, state: SandboxState, host: str, method: str, path: str
) -> None:
    await _send(client)
    response = await client.request(method, path, headers={"host": host}, json={"error_rate": 1.0})
    assert response.status_code == 403
    assert "loopback" in response.json()["error"]
    assert state.inbox.count() == 1  # nothing emptied, nothing sent
    assert state.faults.config.error_rate == 0


async def test_health_answers_any_host(client: httpx.AsyncClient) -> None:
    response = await client.get("/_sandbox/health", headers={"host": "attacker.example"})
    assert response.status_code == 200


async def test_an_ipv6_loopback_host_is_accepted(state: SandboxState) -> None:
    app = create_app(state.config)
    app.state.sandbox = state
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://[::1]:8025") as c:
        assert (await c.get("/_sandbox/faults")).status_code == 200


async def test_an_opt_out_blacklists_the_number_until_it_opts_back_in(
    client: httpx.AsyncClient, state: SandboxState
) -> None:
    number = FORM["to"]
    opted = await client.post("/_sandbox/opt-out", json={"phoneNumber": number})
    # No opt-out URL configured: blacklisted, nobody notified.
    assert opted.json() == {"blacklisted": [number], "notified": False}
    assert (await client.get("/_sandbox/blacklist")).json() == {"blacklisted": [number]}
    refused = (await _send(client)).json()["SMSMessageData"]["Recipients"][0]
    assert (refused["statusCode"], refused["status"]) == (406, "UserInBlacklist")

    back = await client.post("/_sandbox/opt-in", json={"phoneNumber": number})
    assert back.json() == {"blacklisted": [], "removed": True}
    assert (await _send(client)).json()["SMSMessageData"]["Recipients"][0]["statusCode"] == 101
    state.blacklist.add(number)
    state.reset()
    assert state.blacklist.numbers() == []


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{}", "application/json", 400),
        (b'{"phoneNumber": "0711000001"}', "application/json", 400),
        (b'{"phoneNumber": "+254711000001", "senderId": 5}', "application/json", 400),
        (b"not json", "application/json", 400),
        (b"phoneNumber=%2B254711000001", "application/x-www-form-urlencoded", 415),
    ],
)
async def test_bad_opt_out_requests_are_refused(
    client: httpx.AsyncClient, body: bytes, content_type: str, status: int
) -> None:
    answer = await client.post(
        "/_sandbox/opt-out", content=body, headers={"content-type": content_type}
    )
    assert answer.status_code == status
