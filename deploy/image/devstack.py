"""Build contexts of the devstack chart's images: what each needs beside its Containerfile.

postgres: its entrypoint (containerfiles/postgres/). prefect: pins from uv.lock, so the
server has the runner's Prefect and dependency versions. keycloak: the dist tar.gz that the
project fetches with Maven (devtools/keycloak_dist.py, .cache/keycloak) and a Java runtime
linked with jlink from a JDK >= 21 (DUKA_KEYCLOAK_JDK, JAVA_HOME, or Temurin 25 from
/usr/lib/jvm): Debian bookworm (and its backports) has only OpenJDK 17. sandbox: the AT
sandbox's sources (devtools/at_sandbox), at the same paths as in the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

from steps import BuildError, Hasher, log, run

ROOT = Path(__file__).resolve().parents[2]
MIN_JAVA = 21
TEMURIN = Path("/usr/lib/jvm/temurin-25-jdk-amd64")
# Development tools a server never runs (jlink keeps every other module of the JDK).
NOT_RUNTIME = re.compile(
    r"^jdk\.(compiler|javadoc|jdeps|jlink|jpackage|jshell|jartool|jconsole|jdi|jdwp\.agent|"
    r"jstatd|jcmd|editpad|hotspot\.agent|incubator\..*|internal\.vm\..*|internal\.le|"
    r"internal\.ed|internal\.opt)$"
)


def prefect_constraints() -> str:
    """Every package of uv.lock pinned: pip resolves Prefect's dependencies within them."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    pins = sorted(
        f"{p['name']}=={p['version']}"
        for p in lock["package"]
        if "version" in p and p.get("source", {}).get("registry")
    )
    return "\n".join(pins) + "\n"


def _java_version(home: Path) -> int:
    java = home / "bin" / "java"
    if not java.is_file():
        return 0
    done = subprocess.run([str(java), "-version"], capture_output=True, text=True, check=False)  # noqa: S603
    found = re.search(r'version "(\d+)', done.stderr)
    return int(found.group(1)) if found else 0


def find_jdk() -> Path:
    candidates = [os.environ.get("DUKA_KEYCLOAK_JDK"), os.environ.get("JAVA_HOME"), str(TEMURIN)]
    for candidate in filter(None, candidates):
        home = Path(candidate)
        if _java_version(home) >= MIN_JAVA and (home / "bin" / "jlink").is_file():
            return home
    raise BuildError(
        f"the Keycloak image needs a JDK >= {MIN_JAVA} with jlink: set DUKA_KEYCLOAK_JDK "
        "(Debian bookworm has only OpenJDK 17)"
    )


def keycloak_archive(version: str) -> Path:
    """The Keycloak dist tar.gz, fetched with the project's Maven recipe when missing."""
    archive = ROOT / ".cache" / "keycloak" / f"keycloak-quarkus-dist-{version}.tar.gz"
    if not archive.is_file():
        run(
            [sys.executable, "-m", "devtools.keycloak_dist"],
            what="fetching Keycloak with Maven (make keycloak)",
            cwd=ROOT,
        )
    if not archive.is_file():
        raise BuildError(f"{archive} is missing: run `make keycloak`")
    return archive


def keycloak_inputs(h: Hasher, version: str) -> tuple[Path, Path]:
    archive = keycloak_archive(version)
    jdk = find_jdk()
    h.text("jdk", str(jdk)).file("jdk-release", jdk / "release").file("dist", archive)
    return archive, jdk


def keycloak_context(context: Path, archive: Path, jdk: Path) -> None:
    target = context / "keycloak"
    target.mkdir(parents=True, exist_ok=True)
    listed = subprocess.run(  # noqa: S603
        [str(jdk / "bin" / "java"), "--list-modules"], capture_output=True, text=True, check=True
    ).stdout.split()
    modules = [m.split("@")[0] for m in listed if not NOT_RUNTIME.match(m.split("@")[0])]
    run(
        [
            str(jdk / "bin" / "jlink"),
            "--add-modules",
            ",".join(modules),
            "--strip-debug",
            "--no-man-pages",
            "--no-header-files",
            "--output",
            str(target / "jre"),
        ],
        what=f"jlink a Java runtime from {jdk}",
    )
    log(f"unpacking {archive.name}")
    staging = target / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(staging, filter="data")
    (home,) = staging.iterdir()
    home.rename(target / "keycloak")
    shutil.rmtree(staging)


def sandbox_files() -> list[Path]:
    """The sandbox image's sources: devtools/__init__.py and devtools/at_sandbox/*.py."""
    package = ROOT / "devtools" / "at_sandbox"
    return [ROOT / "devtools" / "__init__.py", *sorted(package.glob("*.py"))]


def sandbox_context(context: Path) -> None:
    for path in sandbox_files():
        target = context / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
