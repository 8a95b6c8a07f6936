"""Every command the image is started with (the Dockerfile's CMD, the chart's containers, the
examples' sidecars, the systemd units) names something the installed package really has.

Data-driven: the commands are read from those files, and each kind of command has one
resolver. A command for code another issue is still writing is listed in PENDING as a strict
expected failure: when that code lands, the test passes unexpectedly and fails, which is the
signal to remove the entry.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from collections.abc import Iterator

import pytest

from api.cli import main as duka_cli
from tests.unit.deploy.deploy_files import (
    ANSIBLE,
    CHART,
    DOCKERFILE,
    ROOT,
    dockerfile_instructions,
    load_yaml,
)

# Top-level module -> the issue that brings it.
PENDING: dict[str, str] = {}
# Dev tooling that the dev example runs as a sidecar: outside the wheel, in an image of its own
# (top-level module -> that image's Containerfile; docs/architecture.md, "Dev tooling").
OWN_IMAGE = {"devtools": ROOT / "deploy" / "image" / "containerfiles" / "sandbox.Containerfile"}
VALUES_COMMANDS = ("api", "flows", "operator", "migrations")


def commands() -> Iterator[tuple[str, list[str]]]:
    final = dockerfile_instructions(DOCKERFILE.read_text())
    last = max(i.stage for i in final)
    for i in final:
        if i.stage == last and i.keyword in ("CMD", "ENTRYPOINT"):
            yield f"Dockerfile {i.keyword}", i.exec_form()
    values = load_yaml(CHART / "values.yaml")
    for component in VALUES_COMMANDS:
        yield f"values.yaml {component}.command", list(values[component]["command"])
    for example in sorted((CHART / "examples").glob("*.yaml")):
        for sidecar in (load_yaml(example).get("flows") or {}).get("extraContainers", []):
            yield f"{example.name} sidecar {sidecar['name']}", list(sidecar["command"])
    for unit in sorted((ANSIBLE / "roles" / "duka" / "templates").glob("*.service.j2")):
        match = re.search(r"^ExecStart=.*?/venv/bin/(.+)$", unit.read_text(), re.MULTILINE)
        assert match, f"{unit.name}: no ExecStart from the release venv"
        yield unit.name, match.group(1).split()


def wheel_packages() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])


def module_of(argv: list[str]) -> str | None:
    """The Python module a command runs, or None for the `duka` console script."""
    if argv[0] == "duka":
        return None
    if argv[:2] == ["python", "-m"]:
        return argv[2]
    if argv[:2] == ["kopf", "run"] and "-m" in argv:
        return argv[argv.index("-m") + 1]
    raise AssertionError(f"unknown kind of entry command: {argv}")


def assert_resolves(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    module = module_of(argv)
    if module is None:
        scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
        assert scripts["duka"] == "api.cli:main"
        with pytest.raises(SystemExit) as exit_info:
            duka_cli([argv[1], "--help"])
        assert exit_info.value.code == 0, f"`duka {argv[1]}` is not a duka subcommand"
        assert f"duka {argv[1]}" in capsys.readouterr().out
        return
    if argv[0] == "kopf":
        assert importlib.util.find_spec("kopf") is not None
    top = module.split(".")[0]
    spec = importlib.util.find_spec(module)
    assert spec is not None, f"module {module} does not exist"
    if spec.submodule_search_locations is not None and argv[0] == "python":
        assert importlib.util.find_spec(f"{module}.__main__") is not None, module
    if top in OWN_IMAGE:
        instructions = dockerfile_instructions(OWN_IMAGE[top].read_text())
        copies = [i.value for i in instructions if i.keyword == "COPY"]
        assert any(value.startswith(f"{top}/") for value in copies), f"{top} is not copied"
        return
    # The image installs the wheel: a module outside it is missing there.
    assert any(p == top or p.endswith(f"/{top}") for p in wheel_packages()), (
        f"{top} is not in [tool.hatch.build.targets.wheel] packages"
    )


def cases() -> Iterator[object]:
    for where, argv in commands():
        module = module_of(argv)
        top = module.split(".")[0] if module else None
        marks = []
        if top in PENDING:
            marks.append(pytest.mark.xfail(strict=True, reason=f"pending: {PENDING[top]}"))
        yield pytest.param(argv, id=f"{where}: {' '.join(argv[:4])}", marks=marks)


def test_commands_are_found() -> None:
    found = {" ".join(argv[:3]) for _, argv in commands()}
    assert {"duka serve", "duka migrate", "python -m flows", "kopf run -m"} <= found
    assert "python -m devtools.at_sandbox" in found


@pytest.mark.parametrize("argv", list(cases()))
def test_entry_command_exists(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert_resolves(argv, capsys)


def test_an_unknown_subcommand_is_caught(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(AssertionError):
        assert_resolves(["duka", "no-such-command"], capsys)
    with pytest.raises(AssertionError):
        assert_resolves(["python", "-m", "no_such_module_here"], capsys)
