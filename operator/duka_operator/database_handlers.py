"""kopf handlers for DatabaseConfig: render the Secret, provision on request, roll consumers."""

from __future__ import annotations

from typing import Any

import kopf

from duka_operator import kube, provisioning
from duka_operator.conditions import phase_status
from duka_operator.database_url import database_secret_data
from duka_operator.errors import classify, describe
from duka_operator.manifests import checksum, decode_secret_value, secret_manifest
from duka_operator.settings import get_operator_settings

GROUP, VERSION, PLURAL = "duka.dev", "v1alpha1", "databaseconfigs"


async def _secret_value(namespace: str, name: str, key: str) -> str:
    value = decode_secret_value(await kube.read_secret_data(namespace, name), key)
    if value is None:
        # Often the referenced Secret is created just after: wait for it rather than fail.
        raise kopf.TemporaryError(f"Secret {name} has no key {key!r} (yet)", delay=10)
    return value


@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
@kopf.on.resume(GROUP, VERSION, PLURAL)
async def render(body: kopf.Body, patch: kopf.Patch, logger: Any, **_: Any) -> str:
    spec: dict[str, Any] = dict(body.spec)
    name, namespace = body.metadata.name, body.metadata.namespace
    assert name is not None
    assert namespace is not None
    generation = body.metadata.get("generation")
    conditions = list(body.status.get("conditions", []))
    try:
        ref = spec["passwordSecretRef"]
        password = await _secret_value(namespace, ref["name"], ref.get("key", "password"))
        admin_ref = spec.get("adminCredentialsSecretRef")
        if admin_ref:
            admin_user = await _secret_value(namespace, admin_ref["name"], "username")
            admin_password = await _secret_value(namespace, admin_ref["name"], "password")
            actions = await provisioning.provision(spec, password, admin_user, admin_password)
            for action in actions:
                kopf.info(body, reason="Provisioned", message=action)
        data = database_secret_data(spec, password)
        digest = checksum(data)
        await kube.apply_secret(secret_manifest(spec["secretName"], namespace, data, body))
        rolled = []
        if body.status.get("checksum") != digest:
            rolled = await kube.roll_consumers(namespace, name, digest)
    except kopf.TemporaryError as exc:
        patch.status.update(phase_status(conditions, "Degraded", "Waiting", str(exc), generation))
        raise
    except Exception as exc:
        message = describe(exc)
        if classify(exc) == "permanent":
            patch.status.update(phase_status(conditions, "Failed", "Rejected", message, generation))
            kopf.warn(body, reason="Rejected", message=message)
            raise kopf.PermanentError(message) from exc
        patch.status.update(
            phase_status(conditions, "Degraded", "Unavailable", message, generation)
        )
        kopf.warn(body, reason="Unavailable", message=message)
        raise kopf.TemporaryError(message, delay=get_operator_settings().retry_delay_s) from exc
    summary = f"Secret {spec['secretName']} rendered"
    if rolled:
        summary += f"; rolled {', '.join(rolled)}"
    kopf.info(body, reason="Rendered", message=summary)
    status = phase_status(conditions, "Ready", "Rendered", summary, generation)
    status.update(secretName=spec["secretName"], checksum=digest)
    patch.status.update(status)
    logger.info("DatabaseConfig %s/%s: %s", namespace, name, summary)
    return summary
