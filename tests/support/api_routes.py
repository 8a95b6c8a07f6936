"""Every /api/v1 operation of the app, with the roles its route declares."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from api.auth.roles import RoleRequirement
from api.main import API_PREFIX, create_app
from api.webhooks.auth import CallbackSecret
from duka.core.settings import Settings


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    roles: frozenset[str]
    # Provider callbacks (api/webhooks) prove a shared secret instead of sending tokens.
    callback_secret: bool = False

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def url(self) -> str:
        """The path with each parameter filled (a random UUID fits every one)."""
        return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), self.path)


def _calls(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def all_api_routes() -> list[ApiRoute]:
    """The operations of the app as built now: new routes are covered without a test edit."""
    found: list[ApiRoute] = []
    for route in iter_route_contexts(create_app(Settings()).routes):
        path, methods = route.path, route.methods
        if not path or not methods or not path.startswith(API_PREFIX + "/"):
            continue
        calls = list(_calls(route.dependant))
        roles = frozenset(r for c in calls if isinstance(c, RoleRequirement) for r in c.roles)
        secret = any(isinstance(c, CallbackSecret) for c in calls)
        found.extend(
            ApiRoute(m, path, roles, secret) for m in sorted(methods - {"HEAD", "OPTIONS"})
        )
    return found


ALL_API_ROUTES = all_api_routes()
# The routes that take bearer tokens: all but the provider callbacks.
API_ROUTES = [r for r in ALL_API_ROUTES if not r.callback_secret]
CALLBACK_PATHS = frozenset(r.path for r in ALL_API_ROUTES if r.callback_secret)
