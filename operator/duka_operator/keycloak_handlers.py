"""kopf handlers for KeycloakClient: thin wrappers over keycloak_spec and keycloak_admin."""

from __future__ import annotations

import time
from typing import Any

import kopf

from duka_operator import keycloak_admin, kube
from duka_operator.conditions import phase_status
from duka_operator.errors import classify, describe
from duka_operator.keycloak_spec import (
    InvalidSpecError,
    credentials_secret_name,
    endpoints,
    validate_spec,
)
from duka_operator.manifests import ROTATE_ANNOTATION, credentials_data, secret_manifest
from duka_operator.settings import get_operator_settings

GROUP, VERSION, PLURAL = "duka.dev", "v1alpha1", "keycloakclients"


async def reconcile(body: kopf.Body, patch: kopf.Patch, rotate: bool, logger: Any) -> str:
    """Bring Keycloak and the credentials Secret in line with the spec; returns a summary."""
    settings = get_operator_settings()
    spec = dict(body.spec)
    generation = body.metadata.get("generation")
    conditions = list(body.status.get("conditions", []))
    name, namespace = body.metadata.name, body.metadata.namespace
    assert name is not None
    assert namespace is not None
    try:
        validate_spec(spec, settings.keycloak_realm)
    except InvalidSpecError as exc:
        patch.status.update(phase_status(conditions, "Failed", "InvalidSpec", str(exc), generation))
        kopf.warn(body, reason="InvalidSpec", message=str(exc))
        raise kopf.PermanentError(str(exc)) from exc
    urls = endpoints(settings.keycloak_url, spec["realm"])
    secret_name = credentials_secret_name(name, spec)
    try:
        async with keycloak_admin.admin_session(settings) as admin:
            internal_id, restored = await keycloak_admin.ensure_client(
                admin, spec, f"{namespace}/{name}"
            )
            if secret_name is not None:
                existing = await kube.read_secret_data(namespace, secret_name)
                secret = await keycloak_admin.client_secret(admin, internal_id, rotate)
                manifest = secret_manifest(
                    secret_name,
                    namespace,
                    credentials_data(
                        spec["clientId"], secret, urls["issuer"], urls["tokenEndpoint"]
                    ),
                    body,
                )
                if existing != manifest["data"]:
                    await kube.apply_secret(manifest)
    except (kopf.PermanentError, kopf.TemporaryError):
        raise
    except Exception as exc:
        message = describe(exc)
        if classify(exc) == "permanent":
            patch.status.update(phase_status(conditions, "Failed", "Rejected", message, generation))
            kopf.warn(body, reason="Rejected", message=message)
            raise kopf.PermanentError(message) from exc
        patch.status.update(
            phase_status(conditions, "Degraded", "KeycloakUnavailable", message, generation)
        )
        kopf.warn(body, reason="KeycloakUnavailable", message=message)
        raise kopf.TemporaryError(message, delay=settings.retry_delay_s) from exc
    summary = f"client {spec['clientId']} ({', '.join(restored) or 'in sync'})"
    if restored:
        kopf.info(body, reason="Reconciled", message=summary)
    if rotate:
        kopf.info(body, reason="CredentialsRotated", message=f"new secret in {secret_name}")
    status = phase_status(conditions, "Ready", "Reconciled", summary, generation)
    status.update(keycloakId=internal_id, credentialsSecret=secret_name, **urls)
    if body.status.get("rotatedFor") != body.metadata.annotations.get(ROTATE_ANNOTATION):
        status["rotatedFor"] = body.metadata.annotations.get(ROTATE_ANNOTATION)
    patch.status.update(status)
    logger.info("KeycloakClient %s/%s: %s", namespace, name, summary)
    return summary


def _rotation_requested(body: kopf.Body) -> bool:
    wanted = body.metadata.annotations.get(ROTATE_ANNOTATION)
    return wanted is not None and wanted != body.status.get("rotatedFor")


@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
@kopf.on.resume(GROUP, VERSION, PLURAL)
async def apply(body: kopf.Body, patch: kopf.Patch, logger: Any, **_: Any) -> str:
    return await reconcile(body, patch, _rotation_requested(body), logger)


@kopf.on.update(GROUP, VERSION, PLURAL, field=("metadata", "annotations", ROTATE_ANNOTATION))
async def rotate(body: kopf.Body, patch: kopf.Patch, logger: Any, **_: Any) -> str:
    return await reconcile(body, patch, _rotation_requested(body), logger)


# The timer ticks often and cheaply; the configured interval (read at run time, not import
# time) decides when a tick actually compares with Keycloak.
DRIFT_TICK_S = 1.0


@kopf.timer(GROUP, VERSION, PLURAL, interval=DRIFT_TICK_S)
async def drift(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, logger: Any, **_: Any) -> None:
    now = time.monotonic()
    if now - float(memo.get("drift_checked_at", now)) < get_operator_settings().drift_interval_s:
        memo.setdefault("drift_checked_at", now)
        return
    memo["drift_checked_at"] = now
    if body.status.get("phase") == "Failed" and body.status.get("observedGeneration") == (
        body.metadata.get("generation")
    ):
        return  # an invalid spec stays invalid until edited
    await reconcile(body, patch, False, logger)


@kopf.on.delete(GROUP, VERSION, PLURAL)
async def remove(body: kopf.Body, logger: Any, **_: Any) -> None:
    spec = body.spec
    if spec.get("deletionPolicy", "Delete") == "Retain":
        kopf.info(body, reason="Retained", message=f"client {spec.get('clientId')} kept")
        return
    settings = get_operator_settings()
    try:
        async with keycloak_admin.admin_session(settings) as admin:
            deleted = await keycloak_admin.delete_client(admin, str(spec["clientId"]))
    except Exception as exc:
        message = describe(exc)
        kopf.warn(body, reason="KeycloakUnavailable", message=message)
        raise kopf.TemporaryError(message, delay=settings.retry_delay_s) from exc
    what = "deleted" if deleted else "already absent"
    kopf.info(body, reason="Deleted", message=f"client {spec['clientId']} {what}")
    logger.info("KeycloakClient %s: client %s", body.metadata.name, what)
