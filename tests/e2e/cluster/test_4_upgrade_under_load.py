"""helm upgrade (through CD's deploy script) to a rebuilt image while a closed loop of orders
runs: not one request fails. maxUnavailable 0, readiness probes, the PodDisruptionBudget and
the preStop pause keep a ready pod behind the Service the whole time."""

from __future__ import annotations

import threading
import time

import httpx

from tests.e2e.cluster.stack import RELEASE, Stack, new_customer
from tests.support.kube_images import project_image

TAG = "e2e-upgrade"


def test_upgrade_under_load_fails_no_request(stack: Stack) -> None:
    rebuilt = project_image("duka", tag=TAG)
    stack.cluster.load_image(rebuilt)
    with stack.api() as api:
        customer = new_customer(api, "+254711000401")
    pdb = stack.get("pdb", f"{RELEASE}-api")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["status"]["currentHealthy"] >= 2

    url = f"{stack.service_url(f'{RELEASE}-api')}/api/v1/orders"
    stop = threading.Event()
    results: list[int | str] = []

    def closed_loop() -> None:
        token, fetched = stack.token(), time.monotonic()
        while not stop.is_set():
            if time.monotonic() - fetched > 120:
                token, fetched = stack.token(), time.monotonic()
            # A new connection per request, like clients behind a Service: a kept-alive one
            # would pin the loop to one pod and hide the switch-over.
            try:
                answer = httpx.post(
                    url,
                    json={"customer_id": customer, "item": "Sugar", "amount": "3"},
                    headers={"Authorization": f"Bearer {token}", "Connection": "close"},
                    timeout=30,
                )
                results.append(answer.status_code)
            except httpx.HTTPError as exc:
                results.append(repr(exc))

    loop = threading.Thread(target=closed_loop, daemon=True)
    loop.start()
    try:
        time.sleep(3)
        done = stack.deploy(tag=TAG)
        time.sleep(5)
    finally:
        stop.set()
        loop.join(60)

    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    failed = [r for r in results if r != 201]
    assert failed == [], f"{len(failed)} of {len(results)} requests failed: {failed[:10]}"
    assert len(results) >= 20, results
    pods = stack.get("pods", "-l", "app.kubernetes.io/component=api")["items"]
    assert {p["spec"]["containers"][0]["image"] for p in pods} == {rebuilt}
