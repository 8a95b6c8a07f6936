"""Three flow-runner replicas share the outbox: 1,000 orders' SMS are each sent exactly once
(FOR UPDATE SKIP LOCKED across pods), counted in the three runners' own AT sandboxes."""

from __future__ import annotations

import secrets
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.cluster.stack import SANDBOX_PORT, Stack, wait_for

ORDERS = 1000


def _clear_sandboxes(stack: Stack) -> None:
    script = (
        "import urllib.request; urllib.request.urlopen(urllib.request.Request("
        f"'http://127.0.0.1:{SANDBOX_PORT}/_sandbox/inbox', method='DELETE'), timeout=10)"
    )
    for pod in stack.pods("flows"):
        stack.kubectl("exec", pod, "-c", "at-sandbox", "--", "python", "-c", script)


def test_three_runners_send_a_thousand_sms_exactly_once(stack: Stack) -> None:
    done = stack.deploy("--set", "flows.replicas=3")
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    wait_for(lambda: len(stack.pods("flows")) == 3, "3 flow runners", timeout_s=300)
    # Earlier tests may leave SMS whose outcome is unknown (a runner replaced mid-send by the
    # upgrade test): the reconciler settles those on its own clock (docs/notifications.md), so
    # this test counts only messages to its own phones rather than waiting for them.
    earlier = "SELECT status, count(*) FROM notifications GROUP BY status ORDER BY status"
    print(f"notifications before scale-out: {stack.psql(earlier)!r}", file=sys.stderr)
    _clear_sandboxes(stack)

    run = secrets.token_hex(3)
    first = 10_000_000 + secrets.randbelow(80_000_000)  # 8 digits after +2547: distinct phones
    ours_phones = {f"+2547{i + first:08d}" for i in range(1, ORDERS + 1)}
    ids = stack.psql(
        "INSERT INTO customers (code, name, phone) "
        f"SELECT 'SCALE-{run}-' || i, 'Scale ' || i, '+2547' || lpad((i + {first})::text, 8, '0')"
        f" FROM generate_series(1, {ORDERS}) AS i RETURNING id"
    ).split()
    assert len(ids) == ORDERS

    with stack.api() as api:

        def order(customer: str) -> int:
            made = api.post(
                "/orders", json={"customer_id": customer, "item": "Rice", "amount": "7"}
            )
            return made.status_code

        with ThreadPoolExecutor(8) as pool:
            codes = Counter(pool.map(order, ids))
    assert codes == {201: ORDERS}

    ours = (
        "SELECT count(*) FROM notifications n JOIN orders o ON o.id = n.order_id"
        " JOIN customers c ON c.id = o.customer_id"
        f" WHERE c.code LIKE 'SCALE-{run}-%' AND n.status = 'delivered'"
    )
    # Delivered: sent, and the sandbox's report matched, even a report that outran the
    # runner's commit (docs/kubernetes-testing.md, "Found by these tests").
    wait_for(lambda: stack.psql(ours) == str(ORDERS), "SMS delivered", timeout_s=900, every_s=5)

    per_pod = dict.fromkeys(stack.pods("flows"), 0)
    phones: Counter[str] = Counter()
    for pod in per_pod:
        for message in stack.sandbox_messages_of(pod):
            if message["to"] not in ours_phones:
                continue
            phones[message["to"]] += 1
            per_pod[pod] += 1
    assert len(phones) == ORDERS
    assert set(phones.values()) == {1}, phones.most_common(3)
    assert sum(1 for count in per_pod.values() if count) >= 2, per_pod
    done = stack.deploy("--set", "flows.replicas=1")
    assert done.returncode == 0, done.stdout[-3000:]
