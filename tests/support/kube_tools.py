"""Where the etcd, kube-apiserver and kubectl binaries are, building them if they are missing.

The pins and the cache layout belong to deploy/tools (versions.toml, layout.py); this module
loads that code rather than repeating it, so a version bump is one edit. KUBEBUILDER_ASSETS,
when set, wins for the three binaries envtest ships.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "deploy" / "tools"


class KubeToolsMissingError(RuntimeError):
    pass


@dataclass(frozen=True)
class KubeBinaries:
    etcd: Path
    kube_apiserver: Path
    kubectl: Path


@cache
def _layout() -> ModuleType:
    spec = importlib.util.spec_from_file_location("duka_tools_layout", TOOLS / "layout.py")
    if spec is None or spec.loader is None:
        raise KubeToolsMissingError(f"cannot load {TOOLS / 'layout.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tool_path(name: str) -> Path:
    """The binary `name` would be at (KUBEBUILDER_ASSETS first, then the build cache)."""
    layout = _layout()
    found = layout.asset_override(name) or layout.binary_path(name)
    return Path(found)


def ensure_tools(names: tuple[str, ...], *, build: bool = True) -> None:
    """Build the missing ones among `names` first (unless `build` is false), else raise.

    A cold build compiles Kubernetes (10+ minutes on 2 cores); its progress goes to stderr.
    """
    missing = [name for name in names if not tool_path(name).is_file()]
    if missing and build:
        command = [sys.executable, str(TOOLS / "build.py"), *missing]
        # stdout to stderr: progress stays visible under pytest -s and in `make dev`.
        done = subprocess.run(command, stdout=sys.stderr, check=False)
        if done.returncode != 0:
            raise KubeToolsMissingError(f"building {', '.join(missing)} failed: {command}")
        missing = [name for name in names if not tool_path(name).is_file()]
    if missing:
        raise KubeToolsMissingError(
            f"missing {', '.join(missing)}: run `python3 deploy/tools/build.py "
            f"{' '.join(missing)}` or point KUBEBUILDER_ASSETS at a folder that has them"
        )


def find_binaries(*, build: bool = True) -> KubeBinaries:
    """etcd, kube-apiserver and kubectl; builds the missing ones first unless `build` is false."""
    ensure_tools(("etcd", "kube-apiserver", "kubectl"), build=build)
    return KubeBinaries(
        etcd=tool_path("etcd"),
        kube_apiserver=tool_path("kube-apiserver"),
        kubectl=tool_path("kubectl"),
    )
