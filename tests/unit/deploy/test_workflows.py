"""The GitHub Actions workflows: actions pinned by full commit SHA with the version beside it,
least-privilege permissions, concurrency groups, timeouts, and the jobs the delivery issue
asks for. (actionlint checks the rest in `make lint`.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.unit.deploy.deploy_files import WORKFLOWS, load_yaml

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", re.MULTILINE)
FILES = sorted(WORKFLOWS.glob("*.yml"))


def workflow(name: str) -> dict[Any, Any]:
    loaded: dict[Any, Any] = load_yaml(WORKFLOWS / name)
    return loaded


def steps(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) + str(s.get("uses", "")) for s in job["steps"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_actions_are_pinned_by_sha(path: Path) -> None:
    uses = USES.findall(path.read_text())
    assert uses
    for ref, rest in uses:
        action, _, sha = ref.partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", sha), f"{ref}: not a full commit SHA"
        assert re.fullmatch(r"\s*# v\d+(\.\d+)*", rest), f"{ref}: no '# vX.Y.Z' comment"
        assert action.count("/") >= 1


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_permissions_concurrency_and_timeouts(path: Path) -> None:
    wf = workflow(path.name)
    assert "permissions" in wf
    assert wf["permissions"] in ({}, {"contents": "read"})
    assert "group" in wf["concurrency"]
    for name, job in wf["jobs"].items():
        assert job.get("timeout-minutes"), name
        for grant in job.get("permissions", {}).values():
            assert grant in ("read", "write", "none")
        for step in job["steps"]:
            if "actions/checkout@" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False, name


def test_ci_jobs() -> None:
    ci = workflow("ci.yml")
    assert set(ci[True]) >= {"push", "pull_request"}  # YAML 1.1 reads `on` as True
    jobs = ci["jobs"]
    assert "make lint" in steps(jobs["lint"])
    assert "make test" in steps(jobs["test"])
    assert "tests/integration/deploy" in steps(jobs["chart"])
    build = [s for s in jobs["image"]["steps"] if "build-push-action" in s.get("uses", "")]
    assert build[0]["with"]["cache-from"] == "type=gha"
    assert build[0]["with"]["push"] is False
    e2e = steps(jobs["e2e"])
    assert "kind-action" in e2e
    assert 'skaffold" run -p e2e' in e2e
    assert ".github/e2e/order_to_sms.py" in e2e


def test_cd_pushes_deploys_and_rolls_back() -> None:
    cd = workflow("cd.yml")
    assert cd[True]["push"]["tags"] == ["v*.*.*"]
    assert cd[True]["push"]["branches"] == ["main"]
    image, deploy = cd["jobs"]["image"], cd["jobs"]["deploy"]
    assert image["permissions"] == {"contents": "read", "packages": "write"}
    assert deploy["permissions"] == {"contents": "read"}
    assert deploy["needs"] == ["image"]
    assert deploy["concurrency"]["cancel-in-progress"] is False
    # The deploy steps are the script `make e2e` rehearses against a local cluster.
    assert "deploy/cd/deploy.sh" in steps(deploy)
    script = (WORKFLOWS.parents[1] / "deploy" / "cd" / "deploy.sh").read_text()
    for needed in ("upgrade --install", "rollout status", '"$HELM" test', '"$HELM" rollback'):
        assert needed in script
    assert "trap rollback ERR" in script


def test_cd_delivers_only_a_commit_whose_ci_passed() -> None:
    cd = workflow("cd.yml")
    gate = cd["jobs"]["ci-passed"]
    assert cd["jobs"]["image"]["needs"] == ["ci-passed"]
    assert gate["permissions"] == {"actions": "read"}
    text = steps(gate)
    assert "workflows/ci.yml/runs?head_sha=$SHA" in text
    assert '.conclusion == "success"' in text
    assert gate["steps"][0]["env"]["SHA"] == "${{ github.sha }}"


def test_no_secret_values_in_workflows() -> None:
    for path in FILES:
        text = path.read_text()
        for match in re.finditer(r"(?i)(password|token|api[-_]?key|secret)\s*:\s*(\S+)", text):
            assert match.group(2).startswith("${{"), f"{path.name}: {match.group(0)}"
