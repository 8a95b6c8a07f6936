"""The runner's context: refused without a gateway, and passable to flow runs."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from duka.core.settings import Settings
from flows.context import RunnerContext
from flows.dispatch import dispatch_order_sms
from flows.dispatch_loop import DispatchSession
from flows.settings import SmsFlowSettings
from flows.sweep import sweep_order_sms

pytestmark = pytest.mark.anyio


async def test_without_an_africas_talking_key_there_is_no_context() -> None:
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/none", at_api_key=None)
    with pytest.raises(ValueError, match="DUKA_AT_API_KEY"):
        await RunnerContext.open(settings, SmsFlowSettings())


def test_flows_take_the_live_objects_as_parameters() -> None:
    # Prefect describes each flow's parameters with pydantic when the flow is defined: a
    # live object is "any" there, and only checked to be an instance.
    assert set(dispatch_order_sms.parameters.properties) == {"session"}
    assert set(sweep_order_sms.parameters.properties) == {"ctx"}
    with pytest.raises(ValidationError):
        TypeAdapter(DispatchSession).validate_python({"idle_s": 1})
    with pytest.raises(ValidationError):
        TypeAdapter(RunnerContext).validate_python(object())
