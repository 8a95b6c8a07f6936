"""Helpers of the delivery tests: repository paths, running the pinned tools (built or
installed on first use, never skipped), and the chart rendered by helm."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.kube_tools import tool_path

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "deploy" / "helm" / "duka"
DEVSTACK_CHART = ROOT / "deploy" / "helm" / "duka-devstack"
EXAMPLES = sorted((CHART / "examples").glob("*.yaml"))
REALM = ROOT / "deploy" / "keycloak" / "duka-realm.json"
DEPLOY_VENV = ROOT / ".cache" / "deploy-tools"
NAMESPACE = "duka"

Manifest = dict[str, Any]
# PyYAML ships no type hints and its stubs are not a project dependency: typed here, once.
_yaml: Any = importlib.import_module("yaml")


def load_yaml(text: str) -> Any:
    return _yaml.safe_load(text)


def load_yaml_all(text: str) -> list[Any]:
    return [doc for doc in _yaml.safe_load_all(text) if doc is not None]


def run(argv: list[str | Path], *, timeout_s: float = 300, **kwargs: Any) -> str:
    """Run a tool; fail the test with its output when it exits non-zero."""
    done = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=timeout_s, **kwargs
    )
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, argv))} exited {done.returncode}\n"
            f"--- stdout\n{done.stdout[-6000:]}\n--- stderr\n{done.stderr[-6000:]}"
        )
    return str(done.stdout)


def go_tool(name: str) -> Path:
    """A tool from deploy/tools (helm, kubeconform, actionlint, kubectl), built if missing."""
    path = tool_path(name)
    if not path.is_file():
        build = [sys.executable, str(ROOT / "deploy" / "tools" / "build.py"), name]
        subprocess.run(build, stdout=sys.stderr, check=True, timeout=3600)
    assert path.is_file(), f"{name} is not at {path} after building it"
    return path


MONITORING_MODULE = "github.com/prometheus-operator/prometheus-operator"
MONITORING_CRDS = ("servicemonitors", "prometheusrules")


def monitoring_crds() -> list[Manifest]:
    """The Prometheus Operator's ServiceMonitor and PrometheusRule CRDs, from its Go module
    at the pin in deploy/tools/versions.toml (the module proxy serves it; nothing else is
    downloaded): the chart's monitoring objects are validated against the real schemas."""
    pin = tomllib.loads((ROOT / "deploy" / "tools" / "versions.toml").read_text())
    module = f"{MONITORING_MODULE}@{pin['prometheus-operator']}"
    argv: list[str | Path] = ["go", "mod", "download", "-json", module]
    found = json.loads(run(argv, cwd=ROOT, env={**os.environ, "GOFLAGS": "-mod=mod"}))
    folder = Path(found["Dir"]) / "example" / "prometheus-operator-crd"
    return [
        load_yaml(folder.joinpath(f"monitoring.coreos.com_{plural}.yaml").read_text())
        for plural in MONITORING_CRDS
    ]


def uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    assert found, "uv is needed (it runs the tests: `uv run pytest`)"
    return found


@dataclass(frozen=True)
class Rendered:
    example: str
    text: str

    @property
    def documents(self) -> list[Manifest]:
        return [d for d in load_yaml_all(self.text) if d]

    def kinds(self) -> set[str]:
        return {d["kind"] for d in self.documents}

    def find(self, kind: str, name_suffix: str = "") -> Manifest:
        for doc in self.documents:
            if doc["kind"] == kind and doc["metadata"]["name"].endswith(name_suffix):
                return doc
        raise AssertionError(f"{self.example}: no {kind} named *{name_suffix}")


def helm_template(helm: Path, values: list[Path], *extra: str) -> str:
    argv: list[str | Path] = [
        helm,
        "template",
        "duka",
        CHART,
        "--namespace",
        NAMESPACE,
        "--include-crds",
    ]
    for file in values:
        argv += ["--values", file]
    return run([*argv, *extra])
