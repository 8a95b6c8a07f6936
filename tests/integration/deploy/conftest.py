"""Fixtures of the delivery tests: the pinned tools and the chart rendered with each values
example (`example` parametrizes a test over all of them)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.deploy.deploy_support import (
    CHART,
    DEPLOY_VENV,
    DEVSTACK_CHART,
    EXAMPLES,
    NAMESPACE,
    REALM,
    ROOT,
    Rendered,
    go_tool,
    helm_template,
    run,
    uv,
)


@pytest.fixture(scope="session")
def helm() -> Path:
    return go_tool("helm")


@pytest.fixture(scope="session")
def kubeconform() -> Path:
    return go_tool("kubeconform")


@pytest.fixture(scope="session")
def deploy_bin() -> Path:
    """The locked `deploy` dependency group (ansible-core, ansible-lint, yamllint, hadolint)
    in its own venv under .cache, so the project's venv stays as `uv sync` left it."""
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(DEPLOY_VENV)}
    env.pop("VIRTUAL_ENV", None)
    run(
        [uv(), "sync", "--frozen", "--quiet", "--only-group", "deploy", "--no-install-project"],
        cwd=ROOT,
        env=env,
    )
    return DEPLOY_VENV / "bin"


@pytest.fixture(scope="session")
def render(helm: Path) -> Callable[[str], Rendered]:
    """The chart rendered with one example ("default" = values.yaml alone), cached."""
    cache: dict[str, Rendered] = {}

    def rendered(example: str) -> Rendered:
        if example not in cache:
            files = [] if example == "default" else [CHART / "examples" / f"{example}.yaml"]
            cache[example] = Rendered(example, helm_template(helm, files))
        return cache[example]

    return rendered


@pytest.fixture(scope="session")
def render_devstack(helm: Path) -> str:
    return run(
        [
            helm,
            "template",
            "duka-devstack",
            DEVSTACK_CHART,
            "--namespace",
            NAMESPACE,
            "--set-file",
            f"keycloak.realmJson={REALM}",
        ]
    )


EXAMPLE_NAMES = ["default", *(p.stem for p in EXAMPLES)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes `example` runs once per values example (and the defaults)."""
    if "example" in metafunc.fixturenames:
        metafunc.parametrize("example", EXAMPLE_NAMES)
