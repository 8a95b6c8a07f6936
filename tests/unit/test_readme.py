"""README.md is the user's contract: it must keep the two commands and every setting."""

from __future__ import annotations

from pathlib import Path

from duka.core.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_shows_the_two_commands() -> None:
    assert "make dev" in README
    assert "make test" in README


def test_every_setting_is_documented() -> None:
    missing = [
        f"DUKA_{name.upper()}"
        for name in Settings.model_fields
        if f"`DUKA_{name.upper()}`" not in README
    ]
    assert missing == []
