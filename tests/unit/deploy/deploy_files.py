"""Reading the delivery files the unit tests check: the Dockerfile's instructions, YAML."""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "Dockerfile"
CHART = ROOT / "deploy" / "helm" / "duka"
ANSIBLE = ROOT / "deploy" / "ansible"
WORKFLOWS = ROOT / ".github" / "workflows"

# PyYAML ships no type hints and its stubs are not a project dependency: typed here, once.
_yaml: Any = importlib.import_module("yaml")


def load_yaml(path: Path) -> Any:
    return _yaml.safe_load(path.read_text())


@dataclass(frozen=True)
class Instruction:
    stage: int
    keyword: str
    value: str

    def exec_form(self) -> list[str]:
        """The JSON (exec) form's argv; shell form is refused by the tests that need argv."""
        parsed = json.loads(self.value)
        assert isinstance(parsed, list), self.value
        return [str(a) for a in parsed]


def dockerfile_instructions(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped, numbered by stage."""
    joined = re.sub(r"\\\n", " ", text)
    out: list[Instruction] = []
    stage = -1
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, value = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        out.append(Instruction(stage, keyword, " ".join(value.split())))
    return out
