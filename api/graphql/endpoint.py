"""`/graphql` on the app: strawberry's FastAPI router, beside (never inside) the REST routes.

POST only (queries over GET would bypass the JSON media-type gate and be cacheable); GET
is GraphiQL's page when enabled, served by api/graphiql (strawberry's own page loads
GraphiQL from a CDN with inline script, which the CSP forbids). WebSockets speak
`graphql-transport-ws` only, for the subscription: the token comes in `connection_init`'s
payload (`{"Authorization": "Bearer …"}`), verified by REST's own code; a missing or bad one
closes the socket (4403), and the socket is closed (4401) when the token expires. The path
is left out of the OpenAPI document: its contract is schema.graphql.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from fastapi import FastAPI
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from api.auth.principal import verifier_for
from api.graphql.context import GraphQLContext, graphql_context
from api.graphql.schema import build_schema
from duka.auth.principal import principal_from
from duka.core.errors import AuthenticationError
from duka.core.settings import Settings

log = logging.getLogger(__name__)

PATH = "/graphql"
# Close codes of graphql-transport-ws's range (4400-4499) Duka uses.
TOKEN_EXPIRED = 4401


def _bearer(params: Any) -> str | None:
    if not isinstance(params, dict):
        return None
    for key, value in params.items():
        if isinstance(key, str) and key.lower() == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


async def _close_at(websocket: WebSocket, exp: float) -> None:
    await asyncio.sleep(max(0.0, exp - time.time()))
    with contextlib.suppress(Exception):  # already closed
        await websocket.close(code=TOKEN_EXPIRED, reason="Token expired")


class DukaGraphQLRouter(GraphQLRouter[GraphQLContext, None]):
    async def on_ws_connect(self, context: GraphQLContext) -> UnsetType | dict[str, object] | None:
        websocket = context.request
        assert isinstance(websocket, WebSocket)
        token = _bearer(context.connection_params)
        state = websocket.app.state
        try:
            if token is None:
                raise AuthenticationError("connection_init carries no bearer token.")
            verified = await verifier_for(state, state.settings).verify(token)
            principal = principal_from(verified)
        except AuthenticationError as exc:
            log.info("refused a GraphQL WebSocket: %s", exc)
            raise ConnectionRejectionError from exc
        context.authenticate(principal)
        exp = verified.claims.get("exp")
        if isinstance(exp, int | float):
            task = asyncio.get_running_loop().create_task(_close_at(websocket, float(exp)))
            # Ended with the socket: strawberry's handler task owns nothing else of ours.
            context.expiry = task
        unset: UnsetType = UNSET
        return unset


def mount(app: FastAPI, settings: Settings) -> None:
    router = DukaGraphQLRouter(
        build_schema(settings),
        path=PATH,
        context_getter=graphql_context,
        graphql_ide=None,
        allow_queries_via_get=False,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        include_in_schema=False,
    )
    app.include_router(router)
