"""Reading Java versions, finding Maven, and fetching and unpacking the distribution, with
stand-ins (the resolver's order: tests/unit/devtools/test_java.py)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from devtools import keycloak_dist
from devtools.java import choose_java, java_version
from devtools.keycloak_dist import (
    KEYCLOAK_VERSION,
    MAVEN_MISSING,
    KeycloakError,
    check_maven,
    ensure_distribution,
    find_maven,
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


def test_java_home_wins_when_new_enough(tmp_path: Path) -> None:
    home = fake_jdk(tmp_path / "jdk21", 'openjdk version "21.0.1"')
    choice = choose_java(str(home), temurin=tmp_path / "absent")
    assert (choice.home, choice.version, choice.reason) == (home, 21, "JAVA_HOME")


def test_an_old_java_home_falls_back_to_the_next_with_the_reason(tmp_path: Path) -> None:
    old = fake_jdk(tmp_path / "jdk17", 'openjdk version "17.0.1"')
    temurin = fake_jdk(tmp_path / "temurin", 'openjdk version "25.0.3"')
    choice = choose_java(str(old), temurin=temurin)
    assert choice.home == temurin
    assert f"JAVA_HOME={old} holds Java 17" in choice.reason


def test_missing_maven_says_how_to_install_it_on_each_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(KeycloakError) as caught:
        find_maven()
    message = str(caught.value)
    assert "\n" not in message
    assert "Debian/Ubuntu: `sudo apt-get install maven`" in message
    assert "Fedora: `sudo dnf install maven`" in message
    assert "macOS: `brew install maven`" in message
    assert check_maven(tmp_path / "empty-cache") == MAVEN_MISSING


@pytest.mark.parametrize("cached", ["dist", "archive"])
def test_maven_is_not_needed_once_keycloak_is_in_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cached: str
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    if cached == "dist":
        kc = tmp_path / f"keycloak-{KEYCLOAK_VERSION}" / "bin" / "kc.sh"
        kc.parent.mkdir(parents=True)
        kc.write_text("")
    else:
        (tmp_path / f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.tar.gz").write_text("")
    assert check_maven(tmp_path) is None


def test_check_maven_command_fails_at_once_with_the_instruction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(keycloak_dist, "CACHE_DIR", tmp_path)
    monkeypatch.delenv("DUKA_OIDC_ISSUER", raising=False)
    assert keycloak_dist.main(["--check-maven"]) == 1
    assert capsys.readouterr().err.strip() == f"[duka] {MAVEN_MISSING}"
    monkeypatch.setenv("DUKA_OIDC_ISSUER", "https://sso.example/realms/duka")
    assert keycloak_dist.main(["--check-maven"]) == 0  # your own Keycloak: no fetch


def test_the_fetch_command_reports_failure_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(keycloak_dist, "CACHE_DIR", tmp_path)
    assert keycloak_dist.main([]) == 1
    assert "Maven (mvn) is needed once" in capsys.readouterr().err


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
