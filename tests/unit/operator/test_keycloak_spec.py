from typing import Any

import pytest

from duka_operator.keycloak_spec import (
    MANAGED_BY_ATTRIBUTE,
    InvalidSpecError,
    credentials_secret_name,
    desired_client,
    drifted_fields,
    endpoints,
    merged_client,
    validate_spec,
)


def spec(**overrides: Any) -> dict[str, Any]:
    return {"realm": "duka", "clientId": "shop-web", **overrides}


def test_valid_confidential_spec_passes() -> None:
    validate_spec(
        spec(serviceAccount=True, roles=["reader"], serviceAccountRoles=["reader"]), "duka"
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"publicClient": True, "serviceAccount": True}, "public client cannot"),
        ({"publicClient": True, "credentialsSecret": "x"}, "no credentials"),
        ({"roles": ["a"], "serviceAccountRoles": ["a"]}, "needs serviceAccount"),
        ({"serviceAccount": True, "serviceAccountRoles": ["b"]}, "not listed in roles: b"),
        ({"redirectUris": ["https://*.example.com/cb"]}, "wildcard"),
        ({"realm": "master"}, "manages realm 'duka' only"),
        ({"clientId": ""}, "required"),
    ],
)
def test_invalid_specs_are_rejected_with_a_reason(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidSpecError, match=message):
        validate_spec(spec(**overrides), "duka")


def test_trailing_wildcard_redirect_is_allowed() -> None:
    validate_spec(spec(redirectUris=["https://shop.example.com/*"]), "duka")


def test_credentials_secret_defaults_to_the_resource_name() -> None:
    assert credentials_secret_name("shop", spec()) == "shop"
    assert credentials_secret_name("shop", spec(credentialsSecret="creds")) == "creds"
    assert credentials_secret_name("shop", spec(publicClient=True)) is None


def test_desired_client_maps_flags_and_sorts_lists() -> None:
    desired = desired_client(
        spec(serviceAccount=True, standardFlow=False, redirectUris=["b", "a"]), "ns/shop"
    )
    assert desired["serviceAccountsEnabled"] is True
    assert desired["standardFlowEnabled"] is False
    assert desired["publicClient"] is False
    assert desired["redirectUris"] == ["a", "b"]
    assert desired["attributes"]["duka.dev/owner"] == "ns/shop"
    assert desired["name"] == "shop-web"


def test_public_client_never_gets_service_accounts() -> None:
    assert desired_client(spec(publicClient=True), "o")["serviceAccountsEnabled"] is False


def test_drift_detects_changed_fields_only() -> None:
    desired = desired_client(spec(redirectUris=["https://a/cb"]), "o")
    actual = {
        **desired,
        "redirectUris": ["https://evil/cb"],
        "description": None,
        "attributes": {**desired["attributes"], "other": "kept"},
        "id": "123",
    }
    assert drifted_fields(desired, actual) == ["redirectUris"]
    actual["attributes"] = {}
    assert drifted_fields(desired, actual) == ["redirectUris", "attributes"]


def test_in_sync_client_has_no_drift() -> None:
    desired = desired_client(spec(webOrigins=["+"]), "o")
    assert drifted_fields(desired, {**desired, "webOrigins": ["+"]}) == []


def test_merge_keeps_unowned_fields_and_attributes() -> None:
    desired = desired_client(spec(), "o")
    actual = {"id": "1", "standardFlowEnabled": False, "attributes": {"pkce": "S256"}}
    merged = merged_client(desired, actual)
    assert merged["id"] == "1"
    assert merged["standardFlowEnabled"] is True
    assert merged["attributes"]["pkce"] == "S256"
    assert merged["attributes"][MANAGED_BY_ATTRIBUTE] == "duka-operator"


def test_endpoints() -> None:
    urls = endpoints("https://sso.example.com/", "duka")
    assert urls["issuer"] == "https://sso.example.com/realms/duka"
    assert urls["tokenEndpoint"].endswith("/realms/duka/protocol/openid-connect/token")
