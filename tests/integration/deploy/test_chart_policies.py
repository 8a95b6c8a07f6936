"""Policy checks by checkov (its Kubernetes checks, pinned, run with uvx in its own
environment) over the chart rendered with every values example. Each skipped check is listed
with the reason it does not apply."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from tests.integration.deploy.deploy_support import EXAMPLES, Rendered, run, uv

CHECKOV = "checkov==3.3.30"
NOT_APPLICABLE = {
    # Images are pinned by tag by default; image.digest pins by digest where the registry
    # can be asked for one (docs/deploy.md, "Image").
    "CKV_K8S_43": "digest pinning is a value (image.digest), not forced",
    # Settings are pydantic-settings environment variables by design (DUKA_*).
    "CKV_K8S_35": "secrets reach the process as environment variables",
    # Tags are immutable releases; Always would make every restart depend on the registry.
    "CKV_K8S_15": "IfNotPresent with immutable tags",
}


def test_checkov_kubernetes_checks(render: Callable[[str], Rendered], tmp_path: Path) -> None:
    for name in ["default", *(p.stem for p in EXAMPLES)]:
        (tmp_path / f"{name}.yaml").write_text(render(name).text)
    out = run(
        [
            uv(),
            "tool",
            "run",
            "--from",
            CHECKOV,
            "checkov",
            "--directory",
            tmp_path,
            "--framework",
            "kubernetes",
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--soft-fail",
            # Nothing from the vendor's API: no guideline download, no mapping fetch.
            "--skip-download",
            "--skip-check",
            ",".join(sorted(NOT_APPLICABLE)),
        ],
        timeout_s=900,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    report = json.loads(out)
    results = report["results"] if isinstance(report, dict) else report[0]["results"]
    failed = [
        f"{c['check_id']} {c['check_name']}: {c['resource']} ({Path(c['file_path']).name})"
        for c in results.get("failed_checks", [])
    ]
    assert not failed, "\n".join(failed)
    summary = report["summary"] if isinstance(report, dict) else report[0]["summary"]
    assert summary["failed"] == 0
    assert summary["passed"] > 100
    assert summary["parsing_errors"] == 0
