import base64
from typing import Any

from duka_operator.manifests import (
    CHECKSUM_ANNOTATION,
    CREDENTIALS_CHECKSUM_ANNOTATION,
    MANAGED_BY_LABEL,
    READABLE_LABEL,
    checksum,
    consumes_secret,
    credentials_data,
    decode_secret_value,
    is_readable,
    may_overwrite,
    rollout_complete,
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


def test_an_existing_secret_is_overwritten_only_when_it_is_this_resources() -> None:
    mine = {"ownerReferences": [{"uid": "u-1", "controller": True}]}
    assert may_overwrite(mine, "u-1")
    prepared = {"labels": {MANAGED_BY_LABEL: "duka-operator"}}
    assert may_overwrite(prepared, "u-1")
    # Someone else's: no marks, another resource's controller, a foreign managed-by.
    assert not may_overwrite({}, "u-1")
    assert not may_overwrite({"labels": {"app": "duka-api"}}, "u-1")
    other = {
        "labels": {MANAGED_BY_LABEL: "duka-operator"},
        "ownerReferences": [{"uid": "u-2", "controller": True}],
    }
    assert not may_overwrite(other, "u-1")
    assert not may_overwrite({"labels": {MANAGED_BY_LABEL: "Helm"}}, "u-1")


def test_only_secrets_labelled_readable_are_read() -> None:
    assert is_readable({"labels": {READABLE_LABEL: "true"}})
    assert not is_readable({"labels": {READABLE_LABEL: "yes"}})
    assert not is_readable({})


def test_consumers_are_found_by_env_env_from_and_volumes() -> None:
    env = {"containers": [{"env": [{"valueFrom": {"secretKeyRef": {"name": "creds"}}}]}]}
    env_from = {"initContainers": [{"envFrom": [{"secretRef": {"name": "creds"}}]}]}
    volume = {"containers": [{}], "volumes": [{"secret": {"secretName": "creds"}}]}
    projected = {"volumes": [{"projected": {"sources": [{"secret": {"name": "creds"}}]}}]}
    for spec in (env, env_from, volume, projected):
        assert consumes_secret(spec, "creds")
        assert not consumes_secret(spec, "other")
    assert not consumes_secret({"containers": [{"env": [{"name": "A", "value": "1"}]}]}, "creds")


def test_a_rollout_is_complete_once_every_replica_runs_the_latest_template() -> None:
    def deployment(**status: int) -> dict[str, Any]:
        return {"metadata": {"generation": 3}, "spec": {"replicas": 2}, "status": status}

    done = deployment(observedGeneration=3, replicas=2, updatedReplicas=2, availableReplicas=2)
    assert rollout_complete(done)
    assert not rollout_complete({**done, "status": {**done["status"], "observedGeneration": 2}})
    assert not rollout_complete({**done, "status": {**done["status"], "updatedReplicas": 1}})
    assert not rollout_complete({**done, "status": {**done["status"], "availableReplicas": 1}})
    # A surge pod of the old template still runs.
    assert not rollout_complete({**done, "status": {**done["status"], "replicas": 3}})


def test_the_rollout_patch_can_name_another_annotation() -> None:
    patch = rollout_patch("abc", CREDENTIALS_CHECKSUM_ANNOTATION)
    assert patch["spec"]["template"]["metadata"]["annotations"] == {
        CREDENTIALS_CHECKSUM_ANNOTATION: "abc"
    }
