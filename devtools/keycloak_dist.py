"""The Keycloak distribution: fetched once with Maven, unpacked once (Java: devtools/java.py).

The official org.keycloak:keycloak-quarkus-dist tar.gz comes from Maven Central through the
machine's own Maven client, into the git-ignored .cache/keycloak folder; every Keycloak this
project starts (the dev one, each test session's) runs from that one unpacked copy.
"""

from __future__ import annotations

import fcntl
import os
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
ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = ROOT / ".cache" / "keycloak"
MAVEN_MISSING = (
    f"Maven (mvn) is needed once, to fetch Keycloak into {CACHE_DIR.relative_to(ROOT)}: install "
    "it (Debian/Ubuntu: `sudo apt-get install maven`; Fedora: `sudo dnf install maven`; macOS: "
    "`brew install maven`) and run the command again"
)


class KeycloakError(RuntimeError):
    """Keycloak could not be fetched, unpacked or started; the message says what to do."""


def progress(message: str) -> None:
    print(f"[duka] {message}", file=sys.stderr, flush=True)


def find_maven() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KeycloakError(MAVEN_MISSING)
    return mvn


def is_fetched(cache_dir: Path = CACHE_DIR) -> bool:
    """Whether the distribution (or its archive) is in the cache: then Maven is not needed."""
    home = cache_dir / f"keycloak-{KEYCLOAK_VERSION}"
    archive = cache_dir / f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.tar.gz"
    return (home / "bin" / "kc.sh").is_file() or archive.is_file()


def check_maven(cache_dir: Path | None = None) -> str | None:
    """What to do when Keycloak must still be fetched and Maven is missing, else None."""
    if is_fetched(cache_dir or CACHE_DIR) or shutil.which("mvn") is not None:
        return None
    return MAVEN_MISSING


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
    started = time.monotonic()
    staging = Path(tempfile.mkdtemp(prefix="unpack-", dir=home.parent))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        (unpacked,) = staging.iterdir()
        unpacked.rename(home)  # atomic: a half-unpacked tree is never at `home`
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress(f"unpacked Keycloak in {time.monotonic() - started:.0f} s")


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


def main(argv: list[str]) -> int:
    """`--check-maven` (stdlib only: runs before `uv sync`): fail at once, saying how to install
    Maven, when it will be needed. Otherwise (`make keycloak`): fetch and unpack ahead of the
    first start, and say which Java will run it."""
    if argv == ["--check-maven"]:
        # Your own Keycloak (DUKA_OIDC_ISSUER): nothing to fetch.
        missing = None if os.environ.get("DUKA_OIDC_ISSUER") else check_maven()
        if missing is not None:
            progress(missing)
        return 0 if missing is None else 1
    try:
        print(ensure_distribution(CACHE_DIR))
    except KeycloakError as exc:
        progress(str(exc))
        return 1
    from devtools.java import find_java

    find_java()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
