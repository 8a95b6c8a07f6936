#!/usr/bin/env python3
"""Check Duka's alert rules as the chart ships them, with the real promtool.

    python deploy/monitoring/check_rules.py [--set key=value ...]

1. `helm template` renders the chart's PrometheusRule (metrics.prometheusRule.enabled=true,
   otherwise the chart's defaults, so the thresholds tested are the ones shipped);
2. its groups are written as a plain rules file, `promtool check rules` lints it;
3. `promtool test rules` runs the unit tests in deploy/monitoring/tests/ against it;
4. every alert must appear in some test's `alertname`: a new alert without a test fails.

helm and promtool come from deploy/tools (built and cached on first use). PyYAML is needed
(the project's environment or the deploy tools' venv has it). Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHART = ROOT / "deploy" / "helm" / "duka"
TESTS = HERE / "tests"
BUILD = ROOT / "deploy" / "tools" / "build.py"
TEMPLATE = "templates/prometheusrule.yaml"


def go_tool(name: str) -> Path:
    """The pinned tool's path, building it first if it is missing."""
    found = subprocess.run(  # noqa: S603 - our own tools, fixed argv
        [sys.executable, str(BUILD), "--path", name], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        subprocess.run([sys.executable, str(BUILD), name], stdout=sys.stderr, check=True)  # noqa: S603
        found = subprocess.run(  # noqa: S603 - our own tools, fixed argv
            [sys.executable, str(BUILD), "--path", name], capture_output=True, text=True, check=True
        )
    return Path(found.stdout.strip())


def render_rule_groups(
    helm: Path, sets: list[str] | None = None, values: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The rule groups of the chart's PrometheusRule, rendered with `sets` (key=value, as
    `helm --set`, which reads 0.25 as a string) and `values` (a values document, typed)."""
    argv = [str(helm), "template", "duka", str(CHART), "--namespace", "duka"]
    argv += ["--show-only", TEMPLATE, "--set", "metrics.prometheusRule.enabled=true"]
    for item in sets or []:
        argv += ["--set", item]
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(values or {}, file)
        file.flush()
        argv += ["--values", file.name]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"helm template failed: {done.stderr}")
    text = done.stdout
    rule = yaml.safe_load(text)
    assert rule["kind"] == "PrometheusRule", rule["kind"]
    return list(rule["spec"]["groups"])


def write_rules(groups: list[dict[str, Any]], path: Path) -> Path:
    # JSON is YAML: promtool and Prometheus read it as a rules file.
    path.write_text(json.dumps({"groups": groups}, indent=2) + "\n")
    return path


def alert_names(groups: list[dict[str, Any]]) -> set[str]:
    return {r["alert"] for g in groups for r in g["rules"] if "alert" in r}


def tested_alert_names(files: list[Path]) -> set[str]:
    names = set()
    for file in files:
        for test in yaml.safe_load(file.read_text())["tests"]:
            names |= {t["alertname"] for t in test.get("alert_rule_test", [])}
    return names


def check(promtool: Path, helm: Path, sets: list[str] | None = None) -> list[str]:
    """Run every check; the problems found (empty: all passed)."""
    problems = []
    groups = render_rule_groups(helm, sets)
    tests = sorted(TESTS.glob("*.yaml"))
    untested = alert_names(groups) - tested_alert_names(tests)
    if untested:
        problems.append(f"alerts without a promtool unit test: {', '.join(sorted(untested))}")
    with tempfile.TemporaryDirectory(prefix="duka-rules-") as folder:
        work = Path(folder)
        rules = write_rules(groups, work / "rules.yaml")
        for test in tests:
            shutil.copy(test, work / test.name)
        for argv in (
            [str(promtool), "check", "rules", str(rules)],
            [str(promtool), "test", "rules", *(str(work / t.name) for t in tests)],
        ):
            done = subprocess.run(argv, capture_output=True, text=True, cwd=work, check=False)  # noqa: S603
            if done.returncode != 0:
                problems.append(f"{' '.join(argv[1:3])} failed:\n{done.stdout}{done.stderr}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], help="a chart value (key=value)")
    args = parser.parse_args(argv)
    problems = check(go_tool("promtool"), go_tool("helm"), args.set)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print("alert rules: promtool check rules and test rules passed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
