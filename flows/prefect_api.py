"""Creating flow runs with an idempotency key, which Prefect's client helper does not expose.

A retried create (the answer was lost, the runner restarted, two runners raced) returns the
same flow run instead of a second one, so a trigger can be repeated safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prefect import Flow, get_client
from prefect.client.schemas.actions import FlowCreate, FlowRunCreate
from prefect.client.schemas.objects import Flow as FlowModel
from prefect.client.schemas.objects import FlowRun
from prefect.states import Pending, to_state_create

_CREATED = 201


@dataclass(frozen=True, slots=True)
class CreatedRun:
    flow_run: FlowRun
    created: bool
    """False: a run with this key already existed, and `flow_run` is that one."""


async def create_flow_run_once(
    flow: Flow[Any, Any],
    *,
    name: str,
    parameters: dict[str, Any],
    tags: list[str],
    idempotency_key: str,
) -> CreatedRun:
    async with get_client() as client:
        answer = await client.request(
            "POST", "/flows/", json=FlowCreate(name=flow.name).model_dump(mode="json")
        )
        flow_id = FlowModel.model_validate(answer.json()).id
        body = FlowRunCreate(
            flow_id=flow_id,
            name=name,
            parameters=parameters,
            tags=tags,
            state=to_state_create(Pending()),
            idempotency_key=idempotency_key,
        )
        answer = await client.request(
            "POST", "/flow_runs/", json=body.model_dump(mode="json", exclude_unset=True)
        )
        flow_run = FlowRun.model_validate(answer.json())
    # The engine calls the function with these objects, not with their JSON form.
    flow_run.parameters = parameters
    return CreatedRun(flow_run, answer.status_code == _CREATED)


async def prefect_reachable() -> bool:
    async with get_client() as client:
        return await client.api_healthcheck() is None
