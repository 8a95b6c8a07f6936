#!/usr/bin/env python3
"""Build the Go tools Duka's tests and lint need, from their Go modules, into a cache.

    python3 deploy/tools/build.py [kube|cluster|keda|lint|monitoring|all|NAME ...]  # default: kube
    python3 deploy/tools/build.py --path kube-apiserver      # print one binary's path
    python3 deploy/tools/build.py --dir                      # print the cache folder

Only the Go module proxy is reachable here (no release downloads), so every tool is compiled
with the machine's Go toolchain. Versions are pinned in versions.toml beside this file.
Binaries land in <cache>/bin/<name>-<version>; a pinned binary that is already there is
reused, so repeat runs take a second. The cache is per user (it outlives fresh clones, which
is what CI uses) unless DUKA_TOOLS_DIR says otherwise, e.g. DUKA_TOOLS_DIR=.cache/tools.
With KUBEBUILDER_ASSETS set, etcd, kube-apiserver and kubectl found there are used as they are.
Standard library only: it runs before the project's environment exists.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gorun import BuildError, log
from layout import asset_override, binary_path, tools_dir
from recipes import RECIPES, build_tool, link_assets

GROUPS = {
    "kube": ["etcd", "kube-apiserver", "kubectl"],
    "lint": ["helm", "kubeconform", "actionlint", "promtool"],
    # A real Prometheus server and promtool (tests/integration/deploy: alert rules, scraping).
    "monitoring": ["prometheus", "promtool"],
    # KEDA's operator and metrics API server, as pods on the cluster (tests/support/keda.py).
    "keda": ["keda", "keda-adapter"],
}
# A real single-node cluster (tests/e2e/cluster): the node's components, its DNS, and helm.
GROUPS["cluster"] = [
    *GROUPS["kube"],
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
    "coredns",
    "pause",
    "helm",
    *GROUPS["keda"],
]
GROUPS["all"] = GROUPS["cluster"] + GROUPS["lint"] + GROUPS["monitoring"]


def _expand(names: list[str]) -> list[str]:
    wanted: list[str] = []
    for name in names or ["kube"]:
        for tool in GROUPS.get(name, [name]):
            if tool not in RECIPES:
                raise SystemExit(f"unknown tool {tool!r}; known: {', '.join(RECIPES)}, or a group")
            if tool not in wanted:
                wanted.append(tool)
    return wanted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", help="tools or groups (kube, cluster, keda, lint, monitoring, all)"
    )
    parser.add_argument("--path", metavar="NAME", help="print NAME's binary path and exit")
    parser.add_argument("--dir", action="store_true", help="print the cache folder and exit")
    args = parser.parse_args(argv)
    if args.dir:
        print(tools_dir())
        return 0
    if args.path:
        path = asset_override(args.path) or binary_path(args.path)
        if not path.is_file():
            print(f"{args.path} is not built yet: python3 {__file__} {args.path}", file=sys.stderr)
            return 1
        print(path)
        return 0
    wanted = _expand(args.names)
    started = time.monotonic()
    log(f"cache: {tools_dir()}")
    try:
        for name in wanted:
            log(f"{name}: {build_tool(name)}")
    except BuildError as exc:
        log(f"FAILED: {exc}")
        return 1
    assets = link_assets()
    if assets is not None:
        log(f"KUBEBUILDER_ASSETS-style folder: {assets}")
    log(f"done in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
