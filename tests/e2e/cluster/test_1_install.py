"""helm install of the devstack and duka charts on a real node: every pod Ready, the migration
hook Job ran to completion, the rollouts finished, and `helm test` passed (deploy.sh ran it)."""

from __future__ import annotations

from tests.e2e.cluster.stack import NAMESPACE, RELEASE, Stack


def test_every_deployment_is_available_and_rolled_out(stack: Stack) -> None:
    deployments = {d["metadata"]["name"]: d for d in stack.get("deployments")["items"]}
    assert {"postgres", "keycloak", "prefect-server", f"{RELEASE}-api", f"{RELEASE}-flows"} <= set(
        deployments
    )
    for name, deployment in deployments.items():
        status = deployment["status"]
        assert status.get("readyReplicas") == deployment["spec"]["replicas"], (name, status)
        done = stack.kubectl("rollout", "status", f"deployment/{name}", "--timeout=60s")
        assert "successfully rolled out" in done.stdout
    pods = stack.get("pods")["items"]
    running = [p for p in pods if p["status"]["phase"] == "Running"]
    for pod in running:
        ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
        assert ready["Ready"] == "True", pod["metadata"]["name"]


def test_the_migration_hook_job_ran_and_the_schema_is_current(stack: Stack) -> None:
    # The hook Job is deleted once it succeeded (hook-delete-policy); its Events stay.
    events = stack.get(
        "events",
        "--field-selector",
        f"involvedObject.kind=Job,involvedObject.name={RELEASE}-migrate",
    )["items"]
    assert "Completed" in {e["reason"] for e in events}, [e["reason"] for e in events]
    # alembic's head, as the image's own `duka migrate` left it in the in-cluster PostgreSQL.
    assert stack.psql("SELECT count(*) FROM alembic_version") == "1"
    assert stack.psql("SELECT to_regclass('public.orders') IS NOT NULL") == "t"


def test_the_release_is_deployed_and_its_helm_test_passes(stack: Stack) -> None:
    status = stack.cluster.helm("status", RELEASE, "-n", NAMESPACE, "-o", "json").stdout
    assert '"status":"deployed"' in status.replace(" ", "")
    tested = stack.cluster.helm("test", RELEASE, "-n", NAMESPACE, "--logs", "--timeout", "5m")
    assert "'status': 'ok'" in tested.stdout


def test_pods_resolve_services_through_coredns_and_reach_the_api(stack: Stack) -> None:
    # The flows pod's sandbox posts delivery reports to http://duka-api: DNS plus kube-proxy.
    (pod,) = stack.pods("flows")[:1]
    script = (
        "import socket, urllib.request; print(socket.gethostbyname('duka-api'));"
        "print(urllib.request.urlopen('http://duka-api/healthz', timeout=10).status)"
    )
    done = stack.kubectl("exec", pod, "-c", "at-sandbox", "--", "python", "-c", script)
    address, code = done.stdout.split()
    assert address == stack.get("service", f"{RELEASE}-api")["spec"]["clusterIP"]
    assert code == "200"
