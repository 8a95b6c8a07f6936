"""skaffold.yaml's structure: the product artifact from the Dockerfile (and, outside production,
the AT sandbox's on top of it), every release pointing at
files that exist, image values wired to that artifact, and the dev / e2e / production
profiles doing what docs/deploy.md says. (The real JSON schema check is an integration test:
tests/integration/deploy/test_skaffold_schema.py.)"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.unit.deploy.deploy_files import ROOT, load_yaml


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(ROOT / "skaffold.yaml")
    return loaded


def releases(section: dict[str, Any]) -> list[dict[str, Any]]:
    return list(section["deploy"]["helm"]["releases"])


def profile(config: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [p for p in config["profiles"] if p["name"] == name]
    return dict(found)


VARIABLE = r"\.IMAGE_(?:REPO_NO_DOMAIN|FULLY_QUALIFIED|REPO|TAG|DIGEST|DOMAIN)_(\w+)\}\}"


def template_key(image: str) -> str:
    # Skaffold's IMAGE_*_<name> variables: every non-alphanumeric character becomes "_".
    return re.sub(r"[^A-Za-z0-9]", "_", image)


def all_releases(config: dict[str, Any]) -> list[dict[str, Any]]:
    found = releases(config)
    for p in config["profiles"]:
        if "deploy" in p:
            found += releases(p)
    return found


def test_api_version_and_the_product_artifact(config: dict[str, Any]) -> None:
    assert config["apiVersion"] == "skaffold/v4beta13"
    assert config["kind"] == "Config"
    artifact, _sandbox = config["build"]["artifacts"]
    assert artifact["docker"]["dockerfile"] == "Dockerfile"
    assert (ROOT / artifact.get("context", ".") / "Dockerfile").is_file()


def test_the_sandbox_artifact_is_dev_tooling_on_the_product_image(config: dict[str, Any]) -> None:
    product, sandbox = config["build"]["artifacts"]
    containerfile = ROOT / sandbox.get("context", ".") / sandbox["docker"]["dockerfile"]
    assert containerfile.is_file()
    assert sandbox["requires"] == [{"image": product["image"], "alias": "BASE_IMAGE"}]
    # examples/dev.yaml (the dev and e2e profiles) runs the sidecar from it: skaffold replaces
    # the reference whose name is the artifact's with the tag it built.
    dev_values = load_yaml(ROOT / "deploy" / "helm" / "duka" / "examples" / "dev.yaml")
    images = {c["name"]: c.get("image") for c in dev_values["flows"]["extraContainers"]}
    assert images["at-sandbox"].rpartition(":")[0] == sandbox["image"]
    # Production builds and pushes the product image only.
    production = profile(config, "production")
    assert [a["image"] for a in production["build"]["artifacts"]] == [product["image"]]


def test_releases_point_at_existing_files(config: dict[str, Any]) -> None:
    for release in all_releases(config):
        assert (ROOT / release["chartPath"] / "Chart.yaml").is_file(), release["name"]
        for values in release.get("valuesFiles", []):
            path = re.sub(r'\{\{default "([^"]+)" \.\w+\}\}', r"\1", values)
            assert (ROOT / path).is_file(), values
        for path in release.get("setFiles", {}).values():
            assert (ROOT / path).is_file(), path


def test_image_values_use_the_built_artifact(config: dict[str, Any]) -> None:
    key = template_key(config["build"]["artifacts"][0]["image"])
    for release in all_releases(config):
        templates = release.get("setValueTemplates", {})
        for value in templates.values():
            for used in re.findall(VARIABLE, value):
                assert used == key, value
        if release["name"] == "duka":
            assert templates["image.repository"] == f"{{{{.IMAGE_REPO_{key}}}}}"
            assert templates["image.tag"] == f"{{{{.IMAGE_TAG_{key}}}}}"


def test_dev_profile_forwards_the_api_and_prefect_ui(config: dict[str, Any]) -> None:
    dev = profile(config, "dev")
    assert {"command": "dev"} in dev["activation"]
    forwards = {(f["resourceName"], f["localPort"]) for f in dev["portForward"]}
    assert {("duka-api", 8000), ("prefect-server", 4200)} <= forwards
    assert all(f["address"] == "127.0.0.1" for f in dev["portForward"])
    names = [r["name"] for r in releases(dev)]
    assert names == ["duka-devstack", "duka"]  # dependencies first


def test_e2e_matches_dev_and_production_pushes(config: dict[str, Any]) -> None:
    assert releases(profile(config, "e2e")) == releases(profile(config, "dev"))
    production = profile(config, "production")
    assert production["build"]["local"]["push"] is True
    (release,) = releases(production)
    assert "image.digest" in release["setValueTemplates"]
    assert "--atomic" in production["deploy"]["helm"]["flags"]["upgrade"]
