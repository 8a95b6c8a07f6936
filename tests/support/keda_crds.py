"""KEDA's own CustomResourceDefinitions, from its Go module at the version pinned in
deploy/tools/versions.toml (`keda`), for checking the chart's ScaledObject and
TriggerAuthentication against the real kube-apiserver.

`go mod download` fetches the module into the Go module cache once (later runs read the
cache); nothing of KEDA's is kept in this repository.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

# PyYAML ships no type hints (the delivery tests load it the same way).
_yaml: Any = importlib.import_module("yaml")

ROOT = Path(__file__).resolve().parents[2]
MODULE = "github.com/kedacore/keda/v2"
CRD_FILES = ("keda.sh_scaledobjects.yaml", "keda.sh_triggerauthentications.yaml")
KINDS = frozenset({"ScaledObject", "TriggerAuthentication"})


def pinned_version() -> str:
    with (ROOT / "deploy" / "tools" / "versions.toml").open("rb") as f:
        return str(tomllib.load(f)["keda"])


@cache
def module_dir(version: str | None = None) -> Path:
    version = version or pinned_version()
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    done = subprocess.run(
        ["go", "mod", "download", "-json", f"{MODULE}@{version}"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=ROOT,
        check=False,
    )
    info = json.loads(done.stdout or "{}")
    if done.returncode != 0 or "Dir" not in info:
        raise RuntimeError(
            f"go mod download {MODULE}@{version} failed: {info.get('Error') or done.stderr}"
        )
    return Path(info["Dir"])


def keda_crds() -> list[dict[str, Any]]:
    """The ScaledObject and TriggerAuthentication CRDs, as documents."""
    bases = module_dir() / "config" / "crd" / "bases"
    return [_yaml.safe_load((bases / name).read_text()) for name in CRD_FILES]
