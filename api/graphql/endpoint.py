"""`/graphql` on the app: strawberry's FastAPI router, beside (never inside) the REST routes.

POST only (queries over GET would bypass the JSON media-type gate and be cacheable); GET
serves the GraphiQL page when enabled. No WebSocket protocols until the subscription
exists. The path is left out of the OpenAPI document: its contract is schema.graphql.
"""

from __future__ import annotations

from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter

from api.graphql.context import GraphQLContext, graphql_context
from api.graphql.schema import build_schema
from duka.core.settings import Settings

PATH = "/graphql"


def mount(app: FastAPI, settings: Settings) -> None:
    router: GraphQLRouter[GraphQLContext, None] = GraphQLRouter(
        build_schema(settings),
        path=PATH,
        context_getter=graphql_context,
        graphql_ide="graphiql" if settings.graphql_ide_enabled else None,
        allow_queries_via_get=False,
        subscription_protocols=(),
        include_in_schema=False,
    )
    app.include_router(router)
