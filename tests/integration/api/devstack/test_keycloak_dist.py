"""Finding Java and Maven, and fetching and unpacking the distribution, with stand-ins."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from api.devstack import keycloak_dist
from api.devstack.keycloak_dist import (
    KEYCLOAK_VERSION,
    KeycloakError,
    ensure_distribution,
    find_java_home,
    find_maven,
    java_version,
)


def fake_jdk(root: Path, banner: str) -> Path:
    """A JAVA_HOME whose bin/java prints `banner` to stderr, as `java -version` does."""
    java = root / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho '{banner}' >&2\n")
    java.chmod(0o755)
    return root


def fake_mvn(bin_dir: Path, script: str) -> None:
    mvn = bin_dir / "mvn"
    bin_dir.mkdir(parents=True, exist_ok=True)
    mvn.write_text(f"#!/bin/sh\n{script}\n")
    mvn.chmod(0o755)


def dist_archive(path: Path) -> None:
    """A tar.gz laid out like Keycloak's: one top folder with bin/kc.sh."""
    with tarfile.open(path, "w:gz") as tar:
        data = b"#!/bin/sh\n"
        info = tarfile.TarInfo(f"keycloak-{KEYCLOAK_VERSION}/bin/kc.sh")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize(
    ("banner", "version"),
    [
        ('openjdk version "25.0.3" 2026-04-21 LTS', 25),
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ("no version here", 0),
    ],
)
def test_java_version_reads_the_feature_release(tmp_path: Path, banner: str, version: int) -> None:
    assert java_version(fake_jdk(tmp_path, banner)) == version


def test_a_folder_without_java_has_no_version(tmp_path: Path) -> None:
    assert java_version(tmp_path) == 0


def test_java_home_wins_when_new_enough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = fake_jdk(tmp_path / "jdk21", 'openjdk version "21.0.1"')
    monkeypatch.setenv("JAVA_HOME", str(home))
    assert find_java_home() == home


def test_an_old_java_home_falls_back_and_then_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(fake_jdk(tmp_path / "jdk17", 'version "17.0.1"')))
    monkeypatch.setattr(keycloak_dist, "TEMURIN_25", tmp_path / "absent")
    with pytest.raises(KeycloakError, match=r"needs Java 21 or newer.*JAVA_HOME"):
        find_java_home()


def test_missing_maven_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(KeycloakError, match=r"Maven \(mvn\) is needed once"):
        find_maven()


def test_the_archive_is_fetched_with_maven_and_unpacked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = tmp_path / "built.tar.gz"
    dist_archive(built)
    log = tmp_path / "mvn-args"
    # A stand-in mvn that records its arguments and copies the archive where asked.
    fake_mvn(
        tmp_path / "bin",
        f'echo "$@" > {log}\nfor a in "$@"; do case $a in -DoutputDirectory=*) '
        f'cp {built} "${{a#-DoutputDirectory=}}/keycloak-quarkus-dist-{KEYCLOAK_VERSION}.tar.gz";; '
        "esac; done",
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    cache = tmp_path / "cache"
    cache.mkdir()
    home = ensure_distribution(cache)
    assert home == cache / f"keycloak-{KEYCLOAK_VERSION}"
    assert (home / "bin" / "kc.sh").stat().st_mode & 0o100
    assert f"-Dartifact=org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:tar.gz" in (
        log.read_text()
    )
    log.unlink()
    assert ensure_distribution(cache) == home
    assert not log.exists()  # nothing fetched the second time
    assert [p.name for p in cache.iterdir() if p.name.startswith("unpack-")] == []


def test_a_failed_download_says_what_maven_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_mvn(tmp_path / "bin", "echo 'Could not resolve artifact' >&2\nexit 1")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(KeycloakError, match="Could not resolve artifact"):
        ensure_distribution(tmp_path / "cache")
