"""The image's install step without Docker: the Dockerfile's own `uv sync` commands, run into
a fresh venv, give a runtime where the entry commands start and the package carries what it
needs at run time (the Alembic scripts) — the same venv the runtime stage copies."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.deploy.deploy_support import ROOT, run, uv

DOCKERFILE = ROOT / "Dockerfile"


def dockerfile_syncs() -> list[list[str]]:
    """argv of each `uv sync` the builder stage runs (continuations joined)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    syncs = []
    for match in re.finditer(r"^RUN (?:--mount=\S+\s+)*(uv sync [^&\n]*)", text, re.MULTILINE):
        syncs.append(shlex.split(match.group(1)))
    return syncs


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("image") / "venv"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update(UV_PROJECT_ENVIRONMENT=str(venv), UV_COMPILE_BYTECODE="0", UV_LINK_MODE="copy")
    syncs = dockerfile_syncs()
    assert len(syncs) == 2
    for argv in syncs:
        run([uv(), *argv[1:], "--quiet"], cwd=ROOT, env=env, timeout_s=900)
    return venv


def in_venv(venv: Path, *argv: str, **extra_env: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUKA_", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env.update(extra_env)
    # Outside the repository, so nothing is imported from the work tree.
    done = subprocess.run(
        list(argv), cwd=venv, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"{argv}: {done.stderr[-3000:]}"
    return done.stdout


def test_the_project_is_installed_not_linked(image_venv: Path) -> None:
    site = next((image_venv / "lib").glob("python3*/site-packages"))
    assert (site / "api" / "cli.py").is_file()
    assert not list(site.glob("*.pth")) or all(
        str(ROOT) not in p.read_text() for p in site.glob("*.pth")
    )


def test_runtime_files_ship_in_the_wheel(image_venv: Path) -> None:
    site = next((image_venv / "lib").glob("python3*/site-packages"))
    assert (site / "duka" / "db" / "migrations" / "env.py").is_file()
    assert list((site / "duka" / "db" / "migrations" / "versions").glob("*.py"))


def test_no_dev_tools_in_the_runtime(image_venv: Path) -> None:
    for tool in ("pytest", "mypy", "ruff", "ansible-playbook"):
        assert not (image_venv / "bin" / tool).exists(), tool


@pytest.mark.parametrize(
    "argv",
    [
        ["duka", "--help"],
        ["duka", "serve", "--help"],
        ["duka", "migrate", "--help"],
        ["python", "-m", "flows", "--help"],
        ["kopf", "run", "--help"],
        ["prefect", "--version"],
    ],
    ids=" ".join,
)
def test_entry_commands_start(image_venv: Path, argv: list[str]) -> None:
    assert in_venv(image_venv, *argv)


def test_no_dev_tooling_in_the_runtime(image_venv: Path) -> None:
    out = in_venv(
        image_venv,
        "python",
        "-c",
        "import importlib.util as u; "
        "print([m for m in ('devtools', 'at_sandbox') if u.find_spec(m)])",
    )
    assert out.strip() == "[]"


def test_the_sandbox_image_runs_on_the_runtime(image_venv: Path, tmp_path: Path) -> None:
    """sandbox.Containerfile's layer (deploy/image/containerfiles): the runtime plus the
    sandbox's sources on PYTHONPATH. The sandbox needs nothing the product does not ship."""
    (tmp_path / "devtools").mkdir()
    shutil.copy(ROOT / "devtools" / "__init__.py", tmp_path / "devtools" / "__init__.py")
    shutil.copytree(
        ROOT / "devtools" / "at_sandbox",
        tmp_path / "devtools" / "at_sandbox",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    out = in_venv(
        image_venv, "python", "-m", "devtools.at_sandbox", "--help", PYTHONPATH=str(tmp_path)
    )
    assert "usage: python -m devtools.at_sandbox" in out
