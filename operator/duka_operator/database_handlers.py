"""kopf handlers for DatabaseConfig: render the Secret, provision on request, roll consumers."""

from __future__ import annotations

from typing import Any

import kopf

from duka_operator import kube, provisioning
from duka_operator.conditions import phase_status
from duka_operator.database_url import check_host, database_secret_data, sslmode_downgrade
from duka_operator.errors import WaitingError
from duka_operator.failures import fail
from duka_operator.manifests import CONSUMER_LABEL, checksum, decode_secret_value, secret_manifest
from duka_operator.metrics import reconciled
from duka_operator.resources import DATABASE_CONFIGS, GROUP, VERSION
from duka_operator.settings import get_operator_settings

PLURAL = DATABASE_CONFIGS


async def _secret_value(namespace: str, name: str, key: str) -> str:
    value = decode_secret_value(await kube.read_secret_data(namespace, name), key)
    if value is None:
        # Often the referenced Secret is created just after: wait for it rather than fail.
        raise WaitingError(f"Secret {name} has no key {key!r} (yet)", delay_s=10)
    return value


@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
@kopf.on.resume(GROUP, VERSION, PLURAL)
async def render(body: kopf.Body, patch: kopf.Patch, logger: Any, **_: Any) -> str:
    settings = get_operator_settings()
    spec: dict[str, Any] = dict(body.spec)
    name, namespace = body.metadata.name, body.metadata.namespace
    assert name is not None
    assert namespace is not None
    generation = body.metadata.get("generation")
    conditions = list(body.status.get("conditions", []))
    downgrade = sslmode_downgrade(spec)
    try:
        # Before reading any Secret: its values go nowhere but an allowed host.
        check_host(str(spec["host"]), settings.database_hosts)
        ref = spec["passwordSecretRef"]
        password = await _secret_value(namespace, ref["name"], ref.get("key", "password"))
        admin_ref = spec.get("adminCredentialsSecretRef")
        if admin_ref:
            admin_user = await _secret_value(namespace, admin_ref["name"], "username")
            admin_password = await _secret_value(namespace, admin_ref["name"], "password")
            if downgrade:
                kopf.warn(body, reason="TLSDowngraded", message=downgrade)
            actions = await provisioning.provision(spec, password, admin_user, admin_password)
            for action in actions:
                kopf.info(body, reason="Provisioned", message=action)
        data = database_secret_data(spec, password)
        digest = checksum(data)
        await kube.write_secret(
            secret_manifest(spec["secretName"], namespace, data, body), str(body.metadata.uid)
        )
        rolled = []
        if body.status.get("checksum") != digest:
            rolled = await kube.roll_consumers(
                namespace, (CONSUMER_LABEL, name), spec["secretName"], digest
            )
    except Exception as exc:
        fail(body, patch, exc, "Unavailable", settings.retry_delay_s)
    summary = f"Secret {spec['secretName']} rendered"
    if rolled:
        summary += f"; rolled {', '.join(rolled)}"
    if downgrade:
        summary += f"; {downgrade}"
    kopf.info(body, reason="Rendered", message=summary)
    status = phase_status(conditions, "Ready", "Rendered", summary, generation)
    status.update(secretName=spec["secretName"], checksum=digest, tlsDowngrade=downgrade)
    patch.status.update(status)
    reconciled(body, "Ready")
    logger.info("DatabaseConfig %s/%s: %s", namespace, name, summary)
    return summary
