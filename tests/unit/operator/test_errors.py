import httpx
import pytest
from keycloak.exceptions import KeycloakConnectionError, KeycloakGetError, KeycloakPostError

from duka_operator.errors import RefusedError, WaitingError, classify, describe, refused_deletion


class FakeApiError(Exception):
    def __init__(self, status: int, reason: str = "") -> None:
        self.status = status
        self.reason = reason


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (KeycloakConnectionError("refused"), "temporary"),
        (httpx.ConnectError("refused"), "temporary"),
        (KeycloakGetError("boom", response_code=503), "temporary"),
        (KeycloakPostError("forbidden", response_code=403), "temporary"),
        (KeycloakPostError("conflict", response_code=409), "temporary"),
        (KeycloakPostError("bad", response_code=400), "permanent"),
        (FakeApiError(422), "permanent"),
        (FakeApiError(500), "temporary"),
        (RuntimeError("unknown"), "temporary"),
        (RefusedError("not yours"), "permanent"),
    ],
)
def test_classify(exc: BaseException, kind: str) -> None:
    assert classify(exc) == kind


def test_describe_never_includes_response_bodies() -> None:
    exc = KeycloakPostError("secret-body", response_code=400, response_body=b"secret-body")
    assert describe(exc) == "Keycloak answered 400"
    assert "unreachable" in describe(KeycloakConnectionError("x"))
    assert describe(FakeApiError(422, "Invalid")) == "Kubernetes API answered 422: Invalid"


def test_refusals_and_waits_describe_themselves() -> None:
    assert describe(RefusedError("Secret x is not this resource's")) == (
        "Secret x is not this resource's"
    )
    waiting = WaitingError("label it", reason="SecretNotReadable", delay_s=30)
    assert describe(waiting) == "label it"
    assert (waiting.reason, waiting.delay_s, waiting.phase) == ("SecretNotReadable", 30, "Degraded")


@pytest.mark.parametrize(
    ("exc", "refused"),
    [
        (KeycloakPostError("forbidden", response_code=403), True),
        (KeycloakPostError("unauthorized", response_code=401), True),
        (KeycloakPostError("bad", response_code=400), True),
        (FakeApiError(403), True),
        (KeycloakGetError("boom", response_code=503), False),
        (KeycloakConnectionError("refused"), False),
        (KeycloakPostError("conflict", response_code=409), False),
    ],
)
def test_a_refused_deletion_is_told_apart_from_an_outage(exc: BaseException, refused: bool) -> None:
    assert refused_deletion(exc) is refused
