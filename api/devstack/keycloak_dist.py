"""The Keycloak distribution: fetched once with Maven, unpacked once, run with a JDK >= 21.

The official org.keycloak:keycloak-quarkus-dist tar.gz comes from Maven Central through the
machine's own Maven client, into the git-ignored .cache/keycloak folder; every Keycloak this
project starts (the dev one, each test session's) runs from that one unpacked copy.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

KEYCLOAK_VERSION = "26.7.3"
ARTIFACT = f"org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:tar.gz"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / ".cache" / "keycloak"
TEMURIN_25 = Path("/usr/lib/jvm/temurin-25-jdk-amd64")
MIN_JAVA = 21


class KeycloakError(RuntimeError):
    """Keycloak could not be fetched, unpacked or started; the message says what to do."""


def progress(message: str) -> None:
    print(f"[duka] {message}", file=sys.stderr, flush=True)


def java_version(java_home: Path) -> int:
    """The feature release of the JDK in java_home (25 for 25.0.3), or 0 if none runs."""
    java = java_home / "bin" / "java"
    if not java.is_file():
        return 0
    try:
        done = subprocess.run(  # noqa: S603 (a fixed argv)
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return 0
    found = re.search(r'version "(\d+)', done.stderr)
    return int(found.group(1)) if found else 0


def find_java_home() -> Path:
    """JAVA_HOME if it holds a JDK new enough for Keycloak, else Temurin 25."""
    candidates = [Path(p) for p in (os.environ.get("JAVA_HOME"),) if p] + [TEMURIN_25]
    for home in candidates:
        if java_version(home) >= MIN_JAVA:
            return home
    raise KeycloakError(
        f"Keycloak {KEYCLOAK_VERSION} needs Java {MIN_JAVA} or newer and none was found "
        f"(looked at JAVA_HOME and {TEMURIN_25}). Install a JDK, e.g. Temurin 25, and set "
        "JAVA_HOME to it."
    )


def find_maven() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KeycloakError(
            "Maven (mvn) is needed once, to download Keycloak from Maven Central into "
            f"{CACHE_DIR}. Install it (e.g. `apt-get install maven`), or set DUKA_OIDC_ISSUER "
            "to a Keycloak you run yourself."
        )
    return mvn


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (the dev stack and test sessions share the cache)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _download(cache_dir: Path, archive: Path) -> None:
    mvn = find_maven()
    progress(f"downloading {ARTIFACT} (about 170 MB) with Maven into {cache_dir}")
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 (a fixed argv)
        [
            mvn,
            "--batch-mode",
            "--no-transfer-progress",
            "--quiet",
            f"{DEPENDENCY_PLUGIN}:copy",
            f"-Dartifact={ARTIFACT}",
            f"-DoutputDirectory={cache_dir}",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0 or not archive.is_file():
        raise KeycloakError(
            f"Maven could not fetch {ARTIFACT}:\n{(done.stdout + done.stderr)[-3000:]}"
        )
    progress(f"downloaded {archive.name} in {time.monotonic() - started:.0f} s")


def _unpack(archive: Path, home: Path) -> None:
    progress(f"unpacking {archive.name}")
    staging = Path(tempfile.mkdtemp(prefix="unpack-", dir=home.parent))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        (unpacked,) = staging.iterdir()
        unpacked.rename(home)  # atomic: a half-unpacked tree is never at `home`
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def ensure_distribution(cache_dir: Path = CACHE_DIR) -> Path:
    """The unpacked Keycloak home (with bin/kc.sh), downloading and unpacking if needed."""
    home = cache_dir / f"keycloak-{KEYCLOAK_VERSION}"
    if (home / "bin" / "kc.sh").is_file():
        return home
    with locked(cache_dir / ".lock"):
        if not (home / "bin" / "kc.sh").is_file():
            archive = cache_dir / f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.tar.gz"
            if not archive.is_file():
                _download(cache_dir, archive)
            _unpack(archive, home)
    return home


if __name__ == "__main__":
    # `make keycloak` (and CI): fetch and unpack ahead of the first start.
    print(ensure_distribution())
    print(f"java: {find_java_home()}")
