"""Duka as `duka serve` builds it, but with bearer tokens taken on trust: the baseline of
the token-validation cost (issue: validation may cost POST /orders at most 15%).

Only the verifier differs: the header is still required and read, and the principal is
built from the same claims a real token of the benchmark carries, so the difference from
the `duka` phase is exactly the check of the token (its signature, issuer, audience, times
and type, or the look-up of a token already checked). Not a product: never serve this.
Served by `uvicorn bench.unverified_app:app`; configured by the same DUKA_* variables.
"""

from __future__ import annotations

from api.asgi import app
from duka.auth.tokens import VerifiedToken

ROLES = frozenset({"customers:read", "customers:write", "orders:read", "orders:write"})


class TrustingVerifier:
    """Takes any bearer token as the benchmark's client; checks nothing."""

    def __init__(self) -> None:
        self._token = VerifiedToken(
            subject="bench-load-generator",
            roles=ROLES,
            customer_code=None,
            client_id="duka-bench",
            claims={},
        )

    async def verify(self, token: str) -> VerifiedToken:
        return self._token


app.state.token_verifier = TrustingVerifier()
