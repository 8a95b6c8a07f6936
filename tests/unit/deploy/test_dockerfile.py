"""The Dockerfile's promises: a uv builder and a slim, non-root runtime with nothing to build
with, the locked install, a HEALTHCHECK without curl, and migrations kept out of API start."""

from __future__ import annotations

import re

import pytest

from tests.unit.deploy.deploy_files import DOCKERFILE, ROOT, Instruction, dockerfile_instructions


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return dockerfile_instructions(DOCKERFILE.read_text())


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def arg_default(instructions: list[Instruction], name: str) -> str:
    for i in instructions:
        if i.keyword == "ARG" and i.value.startswith(f"{name}="):
            return i.value.partition("=")[2]
    raise AssertionError(f"no ARG {name}=...")


def test_parser_joins_continuations_and_counts_stages() -> None:
    parsed = dockerfile_instructions('FROM a AS b\nRUN x \\\n    && y\n# c\nFROM d\nCMD ["e"]\n')
    assert [(i.stage, i.keyword, i.value) for i in parsed] == [
        (0, "FROM", "a AS b"),
        (0, "RUN", "x && y"),
        (1, "FROM", "d"),
        (1, "CMD", '["e"]'),
    ]


def test_base_is_slim_python_311_pinned_by_tag(instructions: list[Instruction]) -> None:
    base = arg_default(instructions, "PYTHON_IMAGE")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+", base), base
    froms = [i.value for i in instructions if i.keyword == "FROM"]
    assert froms == ["${PYTHON_IMAGE} AS builder", "${PYTHON_IMAGE} AS runtime"]


def test_builder_installs_the_lock_without_dev_tools(instructions: list[Instruction]) -> None:
    runs = [i.value for i in instructions if i.stage == 0 and i.keyword == "RUN"]
    syncs = [r for r in runs if "uv sync" in r]
    assert len(syncs) == 2  # dependencies layer, then the project
    for sync in syncs:
        assert "--frozen" in sync
        assert "--no-dev" in sync
        assert "--no-default-groups" in sync
    assert "--no-editable" in syncs[-1]
    assert re.search(r"uv==\$\{UV_VERSION\}", " ".join(runs))
    assert re.fullmatch(r"\d+\.\d+\.\d+", arg_default(instructions, "UV_VERSION"))


def test_runtime_copies_only_the_venv(instructions: list[Instruction]) -> None:
    final = final_stage(instructions)
    copies = [i.value for i in final if i.keyword == "COPY"]
    assert copies == ["--from=builder /opt/duka/venv /opt/duka/venv"]
    runs = " ".join(i.value for i in final if i.keyword == "RUN")
    for tool in ("pip install", "uv ", "apt-get", "gcc", "curl"):
        assert tool not in runs


def test_runtime_user_is_numeric_and_not_root(instructions: list[Instruction]) -> None:
    users = [i.value for i in final_stage(instructions) if i.keyword == "USER"]
    assert users == ["10001:10001"]


def test_healthcheck_uses_python_on_healthz(instructions: list[Instruction]) -> None:
    (check,) = [i for i in instructions if i.keyword == "HEALTHCHECK"]
    assert "CMD [" in check.value
    argv = Instruction(check.stage, "CMD", check.value.partition("CMD ")[2]).exec_form()
    assert argv[:2] == ["python", "-c"]
    assert "urllib.request" in argv[2]
    assert "/healthz" in argv[2]


def test_api_is_the_default_command_and_migrations_are_separate(
    instructions: list[Instruction],
) -> None:
    cmds = [i for i in final_stage(instructions) if i.keyword in ("CMD", "ENTRYPOINT")]
    assert [(c.keyword, c.exec_form()) for c in cmds] == [("CMD", ["duka", "serve"])]
    assert "migrate" not in " ".join(i.value for i in final_stage(instructions))


def test_oci_labels(instructions: list[Instruction]) -> None:
    labels = " ".join(i.value for i in instructions if i.keyword == "LABEL")
    for key in ("title", "version", "revision", "created", "source", "licenses"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_build_context_is_an_allow_list() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    entries = [line for line in lines if line and not line.startswith("#")]
    assert entries[0] == "*"
    allowed = {e.removeprefix("!").rstrip("/") for e in entries if e.startswith("!")}
    assert {"pyproject.toml", "uv.lock", "duka", "api", "flows", "operator"} <= allowed
    # Of the dev tooling, only the AT sandbox: the context of its own image too (deploy/image/
    # containerfiles/sandbox.Containerfile); the wheel, so the runtime stage, leaves it out.
    assert {e for e in allowed if e.startswith("devtools")} == {
        "devtools/__init__.py",
        "devtools/at_sandbox",
    }
    assert not {".venv", ".state", ".git", "tests"} & allowed
