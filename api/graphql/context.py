"""Per-request GraphQL context: the caller, the services REST uses, and fresh DataLoaders.

The caller is authenticated by REST's own bearer seam (`api/auth/principal.py`) while the
context is built, that is before any GraphQL runs: a missing or invalid token is answered
as REST answers it (401 problem document with `WWW-Authenticate`), not as a GraphQL error.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from functools import lru_cache

from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from api.auth.principal import get_principal
from api.auth.roles import RoleRequirement
from duka.auth.principal import Principal
from duka.core.errors import AuthenticationError, ForbiddenError
from duka.core.settings import Settings
from duka.customers.schemas import CustomerPublic
from duka.customers.service import CustomerService
from duka.notifications.service import NotificationService
from duka.orders.schemas import OrderPublic
from duka.orders.service import OrderService
from duka.uploads.service import UploadService

# (customer id, how many of its first orders)
OrdersKey = tuple[uuid.UUID, int]


@dataclass
class Services:
    customers: CustomerService
    orders: OrderService
    notifications: NotificationService
    uploads: UploadService


class Loaders:
    """Batches of one request: every `Order.customer` (or `Customer.orders`) of a response
    is one statement, whatever the number of orders (or customers) in it."""

    def __init__(self, services: Services, principal: Principal) -> None:
        async def customers(ids: list[uuid.UUID]) -> list[CustomerPublic | None]:
            found = await services.customers.get_many(principal, ids)
            return [found.get(i) for i in ids]

        async def orders(keys: list[OrdersKey]) -> list[list[OrderPublic]]:
            # One statement per distinct `first` (a document rarely has more than one).
            out: dict[OrdersKey, list[OrderPublic]] = {}
            for first in {f for _, f in keys}:
                ids = [i for i, f in keys if f == first]
                found = await services.orders.first_for_customers(principal, ids, first)
                out.update({(i, first): found.get(i, []) for i in ids})
            return [out[k] for k in keys]

        self.customer = DataLoader(load_fn=customers)
        self.customer_orders = DataLoader(load_fn=orders)


@lru_cache(maxsize=32)
def _requirement(roles: frozenset[str]) -> RoleRequirement:
    return RoleRequirement(roles)


class GraphQLContext(BaseContext):
    def __init__(self, settings: Settings, services: Services, principal: Principal | None) -> None:
        super().__init__()
        self.settings = settings
        self.services = services
        self._principal = principal
        self.loaders = Loaders(services, principal) if principal is not None else None
        # A WebSocket's close at its token's expiry (endpoint.py).
        self.expiry: asyncio.Task[None] | None = None

    def authenticate(self, principal: Principal) -> None:
        """A WebSocket's caller, known once its connection_init is verified."""
        self._principal = principal
        self.loaders = Loaders(self.services, principal)

    @property
    def principal(self) -> Principal:
        if self._principal is None:  # only GET (the IDE page) is served without a caller
            raise AuthenticationError("This API needs an access token.", token_given=False)
        return self._principal

    def require(self, *roles: str) -> Principal:
        """The caller, if it holds the roles and a scope (REST's check); else FORBIDDEN."""
        return _requirement(frozenset(roles)).enforce(self.principal)

    def require_staff(self) -> Principal:
        """Staff-only fields: what REST leaves out of a customer's own view."""
        principal = self.principal
        if principal.customer_code is not None:
            raise ForbiddenError("This field is not shown to a customer's own login.")
        return principal


async def graphql_context(request: HTTPConnection) -> GraphQLContext:
    """The FastAPI dependency strawberry's router builds each request's context with."""
    state = request.app.state
    settings: Settings = state.settings
    # GET serves the IDE page; a WebSocket authenticates in connection_init (endpoint.py).
    http_post = request.scope["type"] == "http" and request.scope["method"] != "GET"
    principal = await get_principal(request) if http_post else None  # type: ignore[arg-type]
    services = Services(
        customers=CustomerService(state.db, settings),
        orders=OrderService(
            state.db,
            settings,
            state.customer_snapshots,
            state.sender_wakeups,
            state.rate_limiter,
            state.order_groups,
        ),
        notifications=NotificationService(state.db),
        uploads=UploadService(state.db, settings, state.rate_limiter),
    )
    return GraphQLContext(settings, services, principal)
