"""Which existing Keycloak clients a KeycloakClient may manage (issue 11, High 1)."""

from typing import Any

import pytest

from duka_operator.keycloak_spec import (
    MANAGED_BY,
    MANAGED_BY_ATTRIBUTE,
    OWNER_ATTRIBUTE,
    ClientOwnedElsewhereError,
    ClientProtectedError,
    check_not_protected,
    check_ownership,
    desired_client,
    is_owned,
    owner_value,
)
from duka_operator.settings import BUILT_IN_CLIENTS, OperatorSettings

OWNER = owner_value("shop", "api", "uid-1")


def client(**attributes: str) -> dict[str, Any]:
    return {"id": "k-1", "clientId": "duka-api", "attributes": attributes}


def test_the_owner_names_namespace_name_and_uid() -> None:
    assert OWNER == "shop/api/uid-1"
    desired = desired_client({"clientId": "duka-api"}, OWNER)
    assert desired["attributes"] == {MANAGED_BY_ATTRIBUTE: MANAGED_BY, OWNER_ATTRIBUTE: OWNER}


def test_a_client_marked_for_this_resource_is_its_own() -> None:
    mine = client(**{MANAGED_BY_ATTRIBUTE: MANAGED_BY, OWNER_ATTRIBUTE: OWNER})
    assert is_owned(mine, OWNER)
    check_ownership(mine, OWNER, adoption_requested=False, adoptable=frozenset())


@pytest.mark.parametrize(
    "attributes",
    [
        {},  # created by hand or by the realm import (duka-api in the dev realm)
        {MANAGED_BY_ATTRIBUTE: MANAGED_BY, OWNER_ATTRIBUTE: "other/api/uid-2"},
        # The same namespace/name, recreated: a different uid is a different owner.
        {MANAGED_BY_ATTRIBUTE: MANAGED_BY, OWNER_ATTRIBUTE: "shop/api/uid-0"},
        {OWNER_ATTRIBUTE: OWNER},  # the owner attribute without the managed-by marker
    ],
)
def test_any_other_client_is_owned_elsewhere(attributes: dict[str, str]) -> None:
    with pytest.raises(ClientOwnedElsewhereError, match="already exists") as info:
        check_ownership(client(**attributes), OWNER, False, frozenset({"duka-api"}))
    assert info.value.reason == "ClientOwnedElsewhere"


def test_adoption_needs_the_annotation_and_the_allow_list() -> None:
    foreign = client()
    check_ownership(foreign, OWNER, adoption_requested=True, adoptable=frozenset({"duka-api"}))
    with pytest.raises(ClientOwnedElsewhereError, match="do not allow adopting"):
        check_ownership(foreign, OWNER, adoption_requested=True, adoptable=frozenset({"x"}))
    with pytest.raises(ClientOwnedElsewhereError, match="annotate the resource"):
        check_ownership(foreign, OWNER, adoption_requested=False, adoptable=frozenset({"duka-api"}))


def test_built_in_and_operator_clients_are_protected_by_default() -> None:
    settings = OperatorSettings(keycloak_client_id="my-operator")
    protected = settings.protected_clients()
    assert set(BUILT_IN_CLIENTS) <= protected
    assert {"realm-management", "admin-cli", "security-admin-console"} <= protected
    assert "my-operator" in protected
    for client_id in protected:
        with pytest.raises(ClientProtectedError, match="deny-list") as info:
            check_not_protected(client_id, protected)
        assert info.value.reason == "ClientProtected"
    check_not_protected("duka-reports", protected)


def test_the_operator_client_stays_protected_even_if_listed_as_adoptable() -> None:
    settings = OperatorSettings(
        keycloak_client_id="duka-operator",
        protected_client_ids=["account"],
        adoptable_client_ids=["duka-operator", "account", "legacy-app"],
    )
    assert settings.adoptable_clients() == frozenset({"legacy-app"})
    assert "duka-operator" in settings.protected_clients()


def test_lists_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUKA_OPERATOR_ADOPTABLE_CLIENT_IDS", '["legacy-app"]')
    monkeypatch.setenv("DUKA_OPERATOR_DATABASE_HOSTS", '["*.databases.svc"]')
    settings = OperatorSettings()
    assert settings.adoptable_client_ids == ["legacy-app"]
    assert settings.database_hosts == ["*.databases.svc"]
