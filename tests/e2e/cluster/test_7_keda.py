"""KEDA on the cluster: the flow runners follow the outbox backlog.

KEDA's operator and metrics server run as pods (tests/support/keda.py); the chart's
ScaledObject is on with short test timings. A backlog of orders arrives while the one
runner's AT sandbox answers slowly: KEDA's PostgreSQL scaler sees it, the HPA it made scales
the runner Deployment up to maxReplicas (through the aggregation layer: the HPA controller
reads external.metrics.k8s.io); the new runners drain it, and with the backlog gone the
Deployment returns to minReplicas and stays there. Every order's SMS is accepted. The
replica counts over time are printed (docs/operations.md, "Autoscaling", shows a run).
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from duka.notifications.outbox.depth import BACKLOG_SQL
from tests.e2e.cluster.stack import NAMESPACE, RELEASE, SANDBOX_PORT, Stack, wait_for
from tests.support.keda import install_keda, keda_logs

ORDERS = 2000
MIN, MAX = 1, 3
TARGET = 100  # backlog rows per runner
# Slower than a runner's claims but well inside its AT read timeout (10 s): the one runner
# keeps a backlog for minutes instead of seconds.
SLOW_SANDBOX = {"latency_s": 3.0}
SCALE_DOWN_WINDOW_S = 120
HOLD_S = 30  # how long the count must stay at minReplicas once back there
KEDA_SECRET = "duka-keda-database"
FLOWS = f"{RELEASE}-flows"
AUTOSCALING = (
    "--set", "flows.autoscaling.enabled=true",
    "--set", f"flows.autoscaling.minReplicas={MIN}",
    "--set", f"flows.autoscaling.maxReplicas={MAX}",
    "--set", f"flows.autoscaling.targetBacklog={TARGET}",
    "--set", "flows.autoscaling.pollingInterval=5",
    "--set", "flows.autoscaling.cooldownPeriod=30",
    # Longer than the runners need to send what they claimed (up to 500 each): with 20 s and
    # 60 s the HPA removed runners still holding claims, whose release was backlog again
    # (flapping; docs/operations.md, "Autoscaling").
    "--set", f"flows.autoscaling.scaleDownStabilizationSeconds={SCALE_DOWN_WINDOW_S}",
    "--set", f"flows.autoscaling.connectionSecret.name={KEDA_SECRET}",
    "--set", "flows.autoscaling.connectionSecret.key=url",
)  # fmt: skip


@dataclass(frozen=True)
class Sample:
    t_s: float
    backlog: int
    replicas: int  # the Deployment's spec: what KEDA's HPA asks for
    ready: int

    def row(self) -> str:
        return f"| {self.t_s:5.0f} | {self.backlog:5d} | {self.replicas} | {self.ready} |"


def _sandbox(stack: Stack, pod: str, method: str, body: dict[str, Any] | None = None) -> None:
    data = json.dumps(body).encode() if body is not None else None
    script = (
        "import urllib.request; urllib.request.urlopen(urllib.request.Request("
        f"'http://127.0.0.1:{SANDBOX_PORT}/_sandbox/faults', data={data!r}, method={method!r},"
        " headers={'Content-Type': 'application/json'}), timeout=10)"
    )
    stack.kubectl("exec", pod, "-c", "at-sandbox", "--", "python", "-c", script)


@pytest.fixture(scope="module")
def keda(stack: Stack) -> Iterator[None]:
    try:
        install_keda(stack.cluster)
    except Exception as exc:
        raise AssertionError(f"{exc}\n{keda_logs(stack.cluster)}") from exc
    # KEDA's operator runs in its own namespace: the devstack Secret's short host name
    # (`postgres`) would not resolve there, so it gets a URL naming the namespace.
    url = (
        "postgresql://duka:duka-dev-password@"
        f"postgres.{NAMESPACE}.svc.cluster.local:5432/duka?sslmode=disable"
    )
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": KEDA_SECRET},
        "stringData": {"url": url},
    }
    stack.kubectl("apply", "-f", "-", stdin=json.dumps(secret))
    yield
    done = stack.deploy("--set", "flows.replicas=1")
    assert done.returncode == 0, done.stdout[-3000:]


def _sample(stack: Stack, started: float) -> Sample:
    status = stack.get("deployment", FLOWS)
    return Sample(
        t_s=time.monotonic() - started,
        backlog=int(stack.psql(BACKLOG_SQL)),
        replicas=int(status["spec"]["replicas"]),
        ready=int(status["status"].get("readyReplicas", 0)),
    )


def _watch(stack: Stack, started: float, log: list[Sample], until: Any, what: str) -> None:
    def check() -> bool:
        log.append(_sample(stack, started))
        return bool(until(log[-1]))

    try:
        wait_for(check, what, timeout_s=600, every_s=3)
    except AssertionError as exc:
        table = "\n".join(s.row() for s in log)
        hpa = stack.kubectl("describe", "hpa", f"keda-hpa-{FLOWS}", check=False).stdout
        raise AssertionError(f"{exc}\n{table}\n{hpa}\n{keda_logs(stack.cluster)}") from exc


def _scaled_object_ready(stack: Stack) -> bool:
    found = stack.get("scaledobject", FLOWS)
    conditions = found.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def _order_backlog(stack: Stack) -> str:
    """ORDERS orders through the API, each for a new customer; returns their code prefix."""
    run = secrets.token_hex(3)
    first = 10_000_000 + secrets.randbelow(80_000_000)
    ids = stack.psql(
        "INSERT INTO customers (code, name, phone) "
        f"SELECT 'KEDA-{run}-' || i, 'Keda ' || i, '+2547' || lpad((i + {first})::text, 8, '0')"
        f" FROM generate_series(1, {ORDERS}) AS i RETURNING id"
    ).split()
    with stack.api() as api:

        def order(customer: str) -> int:
            made = api.post(
                "/orders", json={"customer_id": customer, "item": "Rice", "amount": "7"}
            )
            return made.status_code

        with ThreadPoolExecutor(8) as pool:
            codes = Counter(pool.map(order, ids))
    assert codes == {201: ORDERS}
    return f"KEDA-{run}-"


def test_runners_follow_the_outbox_backlog(stack: Stack, keda: None) -> None:
    done = stack.deploy(*AUTOSCALING)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    wait_for(lambda: _scaled_object_ready(stack), "ScaledObject Ready", timeout_s=180)
    hpa = stack.get("hpa", f"keda-hpa-{FLOWS}")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (MIN, MAX)
    wait_for(lambda: len(stack.pods("flows")) == MIN, "one runner", timeout_s=300)
    (first,) = stack.pods("flows")
    _sandbox(stack, first, "PUT", SLOW_SANDBOX)

    started = time.monotonic()
    log: list[Sample] = [_sample(stack, started)]
    prefix = _order_backlog(stack)
    _watch(stack, started, log, lambda s: s.replicas == MAX and s.ready == MAX, "scaled up")
    scaled_up = log[-1]
    _sandbox(stack, first, "DELETE")  # the first runner's sandbox accepts at full speed again
    _watch(stack, started, log, lambda s: s.backlog == 0 and s.replicas == MIN, "back down")
    back_down = log[-1]
    _watch(stack, started, log, lambda s: s.t_s >= back_down.t_s + HOLD_S, "holding")
    print("\n| t (s) | backlog | replicas | ready |\n|---:|---:|---:|---:|", file=sys.stderr)
    print("\n".join(s.row() for s in log), file=sys.stderr)

    # Scaling up followed the backlog: it happened while rows were waiting, above one
    # runner's target, and the Deployment had one replica before any of them.
    assert log[0].replicas == MIN
    assert max(s.backlog for s in log if s.t_s <= scaled_up.t_s) > TARGET
    assert max(s.replicas for s in log) == MAX
    # Down once, for good: no runner was removed while its claims were still backlog.
    assert all(s.replicas == MIN and s.backlog == 0 for s in log if s.t_s >= back_down.t_s)

    # Nothing left waiting or lost: each SMS was accepted by an AT sandbox, or its attempt was
    # in flight to the sandbox of a runner the HPA removed (that sandbox, the stand-in for AT,
    # goes with its pod, and so do its reports): the reconciler settles those after
    # DUKA_SMS_UNKNOWN_GRACE_S (docs/notifications.md).
    ours = (
        "SELECT count(*) FILTER (WHERE n.status IN ('sent', 'delivered')"
        " OR (n.status = 'sending' AND n.send_started_at IS NOT NULL)) || ' of ' || count(*)"
        " FROM notifications n JOIN orders o ON o.id = n.order_id"
        f" JOIN customers c ON c.id = o.customer_id WHERE c.code LIKE '{prefix}%'"
    )
    wait_for(lambda: stack.psql(ours) == f"{ORDERS} of {ORDERS}", "SMS accepted", 300, 5)
