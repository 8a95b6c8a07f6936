"""README's promise to a fresh machine: exactly Python 3.11+, make and Maven."""

from __future__ import annotations

from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_the_prerequisites_are_exactly_python_make_and_maven() -> None:
    section = README.split("### Prerequisites\n", 1)[1]
    listed = []
    for line in section.lstrip("\n").splitlines():
        if not line.startswith("- "):
            break
        listed.append(line[2:])
    assert listed == ["Python 3.11+", "make", "Maven"]
