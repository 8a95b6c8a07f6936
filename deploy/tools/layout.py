"""Where the pinned tools live: versions.toml, the cache folder, KUBEBUILDER_ASSETS.

No imports from this folder: tests/support/kube_tools.py loads this file on its own.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Binaries that envtest's KUBEBUILDER_ASSETS folder holds: used instead of building them.
ASSET_NAMES = ("etcd", "kube-apiserver", "kubectl")
# Built together by one `go build` of k8s.io/kubernetes at the `kubernetes` pin.
KUBERNETES_COMMANDS = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
    "kubectl",
)
# Built together by one `go install` of github.com/prometheus/prometheus at the `prometheus` pin.
PROMETHEUS_COMMANDS = ("prometheus", "promtool")
# Built together by one `go build` of KEDA's module at the `keda` pin: its operator (cmd/operator)
# and its external-metrics API server (cmd/adapter), under the names KEDA's images give them.
KEDA_COMMANDS = ("keda", "keda-adapter")


def versions() -> dict[str, str]:
    with (HERE / "versions.toml").open("rb") as f:
        return {k: str(v) for k, v in tomllib.load(f).items()}


def tools_dir() -> Path:
    configured = os.environ.get("DUKA_TOOLS_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "duka" / "tools"


def version_of(name: str) -> str:
    pins = versions()
    if name in KUBERNETES_COMMANDS:
        return pins["kubernetes"]
    if name in PROMETHEUS_COMMANDS:
        return pins["prometheus"]
    if name in KEDA_COMMANDS:
        return pins["keda"]
    return pins[name]


def binary_path(name: str) -> Path:
    return tools_dir() / "bin" / f"{name}-{version_of(name)}"


def asset_override(name: str) -> Path | None:
    assets = os.environ.get("KUBEBUILDER_ASSETS")
    if not assets or name not in ASSET_NAMES:
        return None
    candidate = Path(assets).expanduser() / name
    return candidate if candidate.is_file() else None
