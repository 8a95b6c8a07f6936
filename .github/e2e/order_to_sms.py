"""End-to-end check on a cluster where `skaffold run -p e2e` installed Duka: one order, one SMS.

Port-forwards the API, Keycloak and the flow runner's AT sandbox sidecar to 127.0.0.1, logs
in as the development realm's clerk, creates a customer and an order, then waits until the
order's SMS is in the sandbox inbox. Exits non-zero (with what it saw) otherwise.

    uv run --frozen python .github/e2e/order_to_sms.py --namespace duka
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx

API_PORT, KEYCLOAK_PORT, SANDBOX_PORT = 18000, 18180, 18025
# Public development credentials from deploy/keycloak/duka-realm.json.
CLIENT_ID, USERNAME, PASSWORD = "duka-cli", "clerk", "clerk-dev-password"


@contextlib.contextmanager
def port_forward(namespace: str, target: str, local: int, remote: int) -> Iterator[None]:
    argv = ["kubectl", "-n", namespace, "port-forward", target, f"{local}:{remote}"]
    proc = subprocess.Popen(  # noqa: S603
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{local}/", timeout=1)
                break
            if proc.poll() is not None:
                raise SystemExit(
                    f"port-forward {target} ended: {proc.stdout.read() if proc.stdout else ''}"
                )
            time.sleep(0.5)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wait_for(what: str, probe: Any, timeout_s: float, every_s: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every_s)
    raise SystemExit(f"timed out after {timeout_s:.0f}s waiting for {what}; last: {last!r}")


def token() -> str:
    answer = httpx.post(
        f"http://127.0.0.1:{KEYCLOAK_PORT}/realms/duka/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": CLIENT_ID,
            "username": USERNAME,
            "password": PASSWORD,
            "scope": "openid",
        },
        timeout=10,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespace", default="duka")
    parser.add_argument("--release", default="duka")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    ns, rel = args.namespace, args.release
    phone = "+25471" + "".join(secrets.choice("0123456789") for _ in range(7))
    with (
        port_forward(ns, f"svc/{rel}-api", API_PORT, 80),
        port_forward(ns, "svc/keycloak", KEYCLOAK_PORT, 8080),
        port_forward(ns, f"deploy/{rel}-flows", SANDBOX_PORT, 8025),
    ):
        api = httpx.Client(base_url=f"http://127.0.0.1:{API_PORT}", timeout=15)
        wait_for("/readyz", lambda: api.get("/readyz").status_code == 200, args.timeout)
        api.headers["Authorization"] = f"Bearer {token()}"
        customer = api.post("/api/v1/customers", json={"name": "E2E Customer", "phone": phone})
        customer.raise_for_status()
        order = api.post(
            "/api/v1/orders",
            json={
                "customer_id": customer.json()["id"],
                "item": "Maize flour 2kg",
                "quantity": 2,
                "amount": "1250.00",
            },
        )
        order.raise_for_status()
        print(f"order {order.json()} created for {phone}", flush=True)

        def inbox() -> list[dict[str, Any]]:
            answer = httpx.get(
                f"http://127.0.0.1:{SANDBOX_PORT}/_sandbox/inbox",
                params={"number": phone},
                # The sandbox's controls answer only requests addressed to its own loopback
                # host:port (DNS rebinding), not to the port-forward's.
                headers={"Host": "127.0.0.1:8025"},
                timeout=5,
            )
            answer.raise_for_status()
            return list(answer.json()["messages"])

        messages = wait_for(f"an SMS to {phone}", inbox, args.timeout)
        print(f"SMS delivered to the sandbox: {messages[0]['message']!r}")
        if "Maize flour 2kg" not in messages[0]["message"]:
            raise SystemExit(f"the SMS does not name the order's item: {messages[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
