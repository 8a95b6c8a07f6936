"""deploy/monitoring/check_rules.py, loaded from its path (deploy/ is no package): the
chart's alert rules as rendered, and promtool's checks of them, for the tests."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
CHECK_RULES = ROOT / "deploy" / "monitoring" / "check_rules.py"


@cache
def check_rules() -> ModuleType:
    spec = importlib.util.spec_from_file_location("duka_check_rules", CHECK_RULES)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {CHECK_RULES}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
