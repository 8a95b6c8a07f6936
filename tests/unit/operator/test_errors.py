import httpx
import pytest
from keycloak.exceptions import KeycloakConnectionError, KeycloakGetError, KeycloakPostError

from duka_operator.errors import classify, describe


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
    ],
)
def test_classify(exc: BaseException, kind: str) -> None:
    assert classify(exc) == kind


def test_describe_never_includes_response_bodies() -> None:
    exc = KeycloakPostError("secret-body", response_code=400, response_body=b"secret-body")
    assert describe(exc) == "Keycloak answered 400"
    assert "unreachable" in describe(KeycloakConnectionError("x"))
    assert describe(FakeApiError(422, "Invalid")) == "Kubernetes API answered 422: Invalid"
