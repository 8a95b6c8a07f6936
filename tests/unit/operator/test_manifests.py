import base64
from typing import Any

from duka_operator.manifests import (
    CHECKSUM_ANNOTATION,
    checksum,
    credentials_data,
    decode_secret_value,
    rollout_patch,
    secret_manifest,
)

OWNER: dict[str, Any] = {
    "apiVersion": "duka.dev/v1alpha1",
    "kind": "KeycloakClient",
    "metadata": {"name": "shop", "uid": "u-1"},
}


def test_secret_is_owned_by_the_resource_and_base64_encoded() -> None:
    manifest = secret_manifest("creds", "ns", {"client-secret": "s3cret"}, OWNER)
    ref = manifest["metadata"]["ownerReferences"][0]
    assert ref == {
        "apiVersion": "duka.dev/v1alpha1",
        "kind": "KeycloakClient",
        "name": "shop",
        "uid": "u-1",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    assert base64.b64decode(manifest["data"]["client-secret"]) == b"s3cret"
    assert decode_secret_value(manifest["data"], "client-secret") == "s3cret"
    assert decode_secret_value(manifest["data"], "missing") is None
    assert decode_secret_value(None, "client-secret") is None


def test_credentials_data_keys() -> None:
    data = credentials_data("shop", "s", "https://i/realms/duka", "https://i/token")
    assert data["client-id"] == "shop"
    assert data["DUKA_OIDC_ISSUER"] == "https://i/realms/duka"


def test_checksum_depends_on_content_not_order() -> None:
    assert checksum({"a": "1", "b": "2"}) == checksum({"b": "2", "a": "1"})
    assert checksum({"a": "1"}) != checksum({"a": "2"})


def test_rollout_patch_sets_the_pod_template_annotation() -> None:
    patch = rollout_patch("abc")
    assert patch["spec"]["template"]["metadata"]["annotations"] == {CHECKSUM_ANNOTATION: "abc"}
