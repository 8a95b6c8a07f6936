"""kopf handlers for KeycloakClient: thin wrappers over keycloak_spec and keycloak_admin."""

from __future__ import annotations

import time
from typing import Any

import kopf
from keycloak import KeycloakAdmin

from duka_operator import keycloak_admin, kube
from duka_operator.conditions import phase_status
from duka_operator.errors import WaitingError, describe, refused_deletion
from duka_operator.failures import fail
from duka_operator.keycloak_spec import (
    ADOPT_ANNOTATION,
    check_not_protected,
    credentials_secret_name,
    endpoints,
    owner_value,
    validate_spec,
)
from duka_operator.manifests import (
    CREDENTIALS_CHECKSUM_ANNOTATION,
    CREDENTIALS_CONSUMER_LABEL,
    ROTATE_ANNOTATION,
    checksum,
    credentials_data,
    secret_manifest,
)
from duka_operator.metrics import drift_corrected, reconciled
from duka_operator.resources import GROUP, KEYCLOAK_CLIENTS, VERSION
from duka_operator.rotation import in_progress, rotation_has_grace, rotation_step
from duka_operator.settings import get_operator_settings

PLURAL = KEYCLOAK_CLIENTS


def _owner(body: kopf.Body) -> str:
    name, namespace, uid = body.metadata.name, body.metadata.namespace, body.metadata.uid
    assert name is not None
    assert namespace is not None
    assert uid is not None
    return owner_value(namespace, name, uid)


async def _rotate(
    admin: KeycloakAdmin, body: kopf.Body, internal_id: str, secret_name: str, may_start: bool
) -> dict[str, Any] | None:
    """One step of a requested rotation: what status.rotation / rotatedFor become."""
    requested = body.metadata.annotations.get(ROTATE_ANNOTATION)
    step = rotation_step(requested, body.status)
    if step == "none" or requested is None or (step == "start" and not may_start):
        return None
    namespace = str(body.metadata.namespace)
    if step == "start":
        client = await admin.a_get_client(internal_id)
        if not rotation_has_grace(client):
            raise WaitingError(
                "not rotated: Keycloak's client-secret rotation policy does not cover this "
                "client, so the old secret would stop working at once (docs/operator.md)",
                reason="RotationPolicyMissing",
                delay_s=60,
            )
        await keycloak_admin.rotate_secret(admin, internal_id)
        kopf.info(body, reason="CredentialsRotating", message=f"new secret in {secret_name}")
        return {"rotation": {"for": requested, "phase": "Started", "deployments": []}}
    rotation = dict(body.status.get("rotation") or {})
    pending = await kube.unfinished_rollouts(namespace, list(rotation.get("deployments") or []))
    if pending:
        raise WaitingError(
            f"rotation {requested!r}: waiting for {', '.join(pending)} to roll out; the old "
            "secret stays valid meanwhile",
            reason="RotationRollingOut",
            delay_s=5,
            phase="Progressing",
        )
    await keycloak_admin.drop_rotated_secret(admin, internal_id)
    kopf.info(body, reason="CredentialsRotated", message="old secret revoked")
    return {"rotation": None, "rotatedFor": requested}


async def reconcile(
    body: kopf.Body, patch: kopf.Patch, logger: Any, may_start_rotation: bool = True
) -> str:
    """Bring Keycloak and the credentials Secret in line with the spec; returns a summary.

    Only the change handlers start a rotation: kopf runs them one at a time per resource,
    while the drift timer runs beside them on a body that may predate status.rotation, and
    a second start would revoke the secret the pods still use."""
    settings = get_operator_settings()
    spec = dict(body.spec)
    generation = body.metadata.get("generation")
    conditions = list(body.status.get("conditions", []))
    name, namespace = body.metadata.name, body.metadata.namespace
    assert name is not None
    assert namespace is not None
    urls = endpoints(settings.keycloak_url, str(spec.get("realm")))
    secret_name = credentials_secret_name(name, spec)
    extra: dict[str, Any] = {}
    try:
        validate_spec(spec, settings.keycloak_realm)
        check_not_protected(str(spec["clientId"]), settings.protected_clients())
        async with keycloak_admin.admin_session(settings) as admin:
            internal_id, restored = await keycloak_admin.ensure_client(
                admin,
                spec,
                _owner(body),
                adoption_requested=body.metadata.annotations.get(ADOPT_ANNOTATION) == "true",
                adoptable=settings.adoptable_clients(),
            )
            if secret_name is not None:
                rotation = await _rotate(admin, body, internal_id, secret_name, may_start_rotation)
                extra.update(rotation or {})
                secret = await keycloak_admin.client_secret(admin, internal_id)
                data = credentials_data(
                    spec["clientId"], secret, urls["issuer"], urls["tokenEndpoint"]
                )
                manifest = secret_manifest(secret_name, namespace, data, body)
                if await kube.write_secret(manifest, str(body.metadata.uid)):
                    rolled = await kube.roll_consumers(
                        namespace,
                        (CREDENTIALS_CONSUMER_LABEL, name),
                        secret_name,
                        checksum(data),
                        CREDENTIALS_CHECKSUM_ANNOTATION,
                    )
                    if rolled:
                        kopf.info(body, reason="Rolled", message=", ".join(rolled))
                    if extra.get("rotation"):
                        requested = str(extra["rotation"]["for"])
                        extra["rotation"] = in_progress(requested, rolled)
    except Exception as exc:
        fail(body, patch, exc, "KeycloakUnavailable", settings.retry_delay_s)
    summary = f"client {spec['clientId']} ({', '.join(restored) or 'in sync'})"
    if not may_start_rotation:  # the drift timer: what it found changed and put back
        drift_corrected("KeycloakClient", restored)
    if restored:
        kopf.info(body, reason="Reconciled", message=summary)
    rolling = bool(extra.get("rotation"))
    if rolling:
        summary += "; rotation rolling out, the old secret stays valid meanwhile"
    phase, reason = ("Progressing", "RotationRollingOut") if rolling else ("Ready", "Reconciled")
    status = phase_status(conditions, phase, reason, summary, generation)
    status.update(keycloakId=internal_id, credentialsSecret=secret_name, **urls, **extra)
    patch.status.update(status)
    reconciled(body, phase)
    logger.info("KeycloakClient %s/%s: %s", namespace, name, summary)
    if rolling:
        # Come back to revoke the old secret once the consumers' pods are replaced.
        raise kopf.TemporaryError(summary, delay=5)
    return summary


@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
@kopf.on.resume(GROUP, VERSION, PLURAL)
async def apply(body: kopf.Body, patch: kopf.Patch, logger: Any, **_: Any) -> str:
    return await reconcile(body, patch, logger)


@kopf.on.update(GROUP, VERSION, PLURAL, field=("metadata", "annotations", ROTATE_ANNOTATION))
async def rotate(body: kopf.Body, patch: kopf.Patch, logger: Any, **_: Any) -> str:
    return await reconcile(body, patch, logger)


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
    await reconcile(body, patch, logger, may_start_rotation=False)


@kopf.on.delete(GROUP, VERSION, PLURAL)
async def remove(body: kopf.Body, patch: kopf.Patch, logger: Any, **_: Any) -> None:
    spec = body.spec
    settings = get_operator_settings()
    client_id = str(spec.get("clientId"))
    if spec.get("deletionPolicy", "Delete") == "Retain":
        kopf.info(body, reason="Retained", message=f"client {client_id} kept")
        return
    if client_id in settings.protected_clients():
        kopf.info(body, reason="Retained", message=f"client {client_id} is protected: kept")
        return
    try:
        async with keycloak_admin.admin_session(settings) as admin:
            what = await keycloak_admin.delete_client(admin, client_id, _owner(body))
    except Exception as exc:
        if not refused_deletion(exc):
            fail(body, patch, exc, "KeycloakUnavailable", settings.retry_delay_s)
        # Failed, with the finalizer kept: a permanent error would make kopf release the
        # resource and orphan the client. Grants fixed or deletionPolicy set to Retain are
        # picked up at the next, slow, attempt.
        message = f"Keycloak refused to delete client {client_id}: {describe(exc)}"
        fail(
            body,
            patch,
            WaitingError(message, "DeleteRefused", settings.delete_refused_retry_s, phase="Failed"),
            "KeycloakUnavailable",
            settings.retry_delay_s,
        )
    kopf.info(body, reason="Deleted", message=f"client {client_id} {what}")
    logger.info("KeycloakClient %s: client %s", body.metadata.name, what)
