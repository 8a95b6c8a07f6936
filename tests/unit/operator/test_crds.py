"""The CRD files: structure the API server needs and the conventions the operator relies on."""

from pathlib import Path
from typing import Any

import pytest

from tests.unit.deploy.deploy_files import load_yaml

CRDS = Path(__file__).parents[3] / "deploy/helm/duka/crds"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(CRDS / name)
    return data


@pytest.mark.parametrize(
    ("file", "kind", "short"),
    [
        ("keycloakclients.duka.dev.yaml", "KeycloakClient", "kcc"),
        ("databaseconfigs.duka.dev.yaml", "DatabaseConfig", "dbc"),
    ],
)
def test_crd_shape(file: str, kind: str, short: str) -> None:
    crd = load(file)
    assert crd["spec"]["group"] == "duka.dev"
    assert crd["spec"]["names"]["kind"] == kind
    assert short in crd["spec"]["names"]["shortNames"]
    (version,) = crd["spec"]["versions"]
    assert version["name"] == "v1alpha1"
    assert version["subresources"] == {"status": {}}
    columns = {c["name"] for c in version["additionalPrinterColumns"]}
    assert {"Ready", "Age"} <= columns
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec["x-kubernetes-validations"]
    for field, schema in spec["properties"].items():
        assert schema.get("description"), f"{kind}.spec.{field} has no description"


def test_keycloak_client_deletion_policy_defaults_to_delete() -> None:
    version = load("keycloakclients.duka.dev.yaml")["spec"]["versions"][0]
    policy = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][
        "deletionPolicy"
    ]
    assert policy["enum"] == ["Delete", "Retain"]
    assert policy["default"] == "Delete"
