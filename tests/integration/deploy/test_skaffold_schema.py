"""skaffold.yaml against Skaffold's own JSON schema for its apiVersion, read from the Skaffold
Go module (the schema files ship in it; nothing of it is committed). The module is fetched
through the Go module proxy at the version CI builds skaffold from."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.integration.deploy.deploy_support import ROOT, load_yaml, run

MODULE = "github.com/GoogleContainerTools/skaffold/v2"
# Typed once: jsonschema ships no type hints.
_jsonschema: Any = importlib.import_module("jsonschema")


def skaffold_version() -> str:
    """The version .github/workflows/ci.yml builds skaffold at: one pin for both."""
    match = re.search(
        r'SKAFFOLD_VERSION: "(v[\d.]+)"', (ROOT / ".github/workflows/ci.yml").read_text()
    )
    assert match, "ci.yml pins no SKAFFOLD_VERSION"
    return match.group(1)


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml((ROOT / "skaffold.yaml").read_text())
    return loaded


@pytest.fixture(scope="module")
def schema(config: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    go = shutil.which("go")
    assert go, "the Go toolchain is needed to fetch skaffold's schema"
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    workdir = tmp_path_factory.mktemp("skaffold-module")
    info = json.loads(
        run(
            [go, "mod", "download", "-json", f"{MODULE}@{skaffold_version()}"], cwd=workdir, env=env
        )
    )
    version = config["apiVersion"].removeprefix("skaffold/")
    path = Path(info["Dir"]) / "docs-v2" / "content" / "en" / "schemas" / f"{version}.json"
    assert path.is_file(), f"skaffold {skaffold_version()} has no schema {version}"
    return json.loads(path.read_text())


def errors(schema: Any, document: Any) -> list[str]:
    validator = _jsonschema.Draft7Validator(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_skaffold_yaml_is_valid(schema: Any, config: dict[str, Any]) -> None:
    assert errors(schema, config) == []


def test_the_schema_catches_a_misspelt_field(schema: Any, config: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(config))
    broken["deploy"]["helm"]["releases"][0]["valueFiles"] = ["x.yaml"]
    assert errors(schema, broken)
