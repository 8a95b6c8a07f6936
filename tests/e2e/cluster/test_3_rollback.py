"""A broken release never replaces a working one, and no data is lost:
- CD's own script (deploy/cd/deploy.sh) with an API that crashes at start: the rollout
  fails, the script rolls back to the previous revision and exits non-zero;
- `helm upgrade --rollback-on-failure` (Helm 4's --atomic) with a migration that fails: the
  pre-upgrade hook fails and helm restores the previous release.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.cluster.stack import NAMESPACE, RELEASE, ROOT, VALUES, Stack, new_customer, wait_for

BAD_MIGRATION = ["python", "-c", "raise SystemExit('bad migration')"]


def _history(stack: Stack) -> list[dict[str, Any]]:
    out = stack.cluster.helm("history", RELEASE, "-n", NAMESPACE, "-o", "json").stdout
    found: list[dict[str, Any]] = json.loads(out)
    return found


def _an_order(stack: Stack) -> str:
    with stack.api() as api:
        customer = new_customer(api, "+254711000301")
        made = api.post("/orders", json={"customer_id": customer, "item": "Salt", "amount": "5"})
        assert made.status_code == 201, made.text
        order_id: str = made.json()["id"]
        return order_id


def _still_serving(stack: Stack, order_id: str, orders_before: str) -> None:
    assert stack.psql("SELECT count(*) FROM orders") == orders_before
    with stack.api() as api:
        assert api.get(f"/orders/{order_id}").status_code == 200
    template = stack.get("deployment", f"{RELEASE}-api")["spec"]["template"]["spec"]
    assert template["containers"][0]["command"] == ["duka", "serve"]

    def broken_pods_gone() -> bool:
        pods = stack.get("pods", "-l", "app.kubernetes.io/component=api")["items"]
        return all(p["spec"]["containers"][0]["command"] == ["duka", "serve"] for p in pods)

    wait_for(broken_pods_gone, "the crashing release's pods removed", timeout_s=120)


def test_cd_script_rolls_back_a_crashing_release(stack: Stack) -> None:
    order_id = _an_order(stack)
    orders = stack.psql("SELECT count(*) FROM orders")
    before = _history(stack)[-1]["revision"]

    done = stack.deploy(
        "--set-json", 'api.command=["python", "-c", "raise SystemExit(3)"]', timeout="150s"
    )

    assert done.returncode != 0, done.stdout
    assert f"rolled {RELEASE} back to revision {before}" in done.stdout
    latest = _history(stack)[-1]
    assert latest["status"] == "deployed"
    assert latest["description"] == f"Rollback to {before}"
    stack.kubectl("rollout", "status", f"deployment/{RELEASE}-api", "--timeout=180s")
    _still_serving(stack, order_id, orders)


def test_a_failing_migration_is_rolled_back_by_helm(stack: Stack) -> None:
    order_id = _an_order(stack)
    orders = stack.psql("SELECT count(*) FROM orders")
    before = _history(stack)[-1]

    done = stack.cluster.helm(
        "upgrade", RELEASE, str(ROOT / "deploy" / "helm" / "duka"),
        "-n", NAMESPACE, "--reuse-values", "--values", str(VALUES),
        "--set-json", f"migrations.command={json.dumps(BAD_MIGRATION)}",
        "--set", "migrations.backoffLimit=0",
        "--rollback-on-failure", "--wait", "--timeout", "4m",
        check=False, timeout_s=600,
    )  # fmt: skip

    assert done.returncode != 0, done.stdout
    latest = _history(stack)[-1]
    assert latest["status"] == "deployed"
    assert latest["description"] == f"Rollback to {before['revision']}"
    job = stack.get("job", f"{RELEASE}-migrate")
    assert job["status"].get("failed", 0) >= 1
    _still_serving(stack, order_id, orders)
