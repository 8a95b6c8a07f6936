"""A stand-in OpenID Connect issuer on loopback, so Duka checks real bearer tokens.

Duka verifies every request's RS256 access token against its issuer's published keys
(api/auth). Keycloak would be the real issuer; for load, only what Duka reads from it
matters: the discovery document and the JWKS, fetched once and cached. This serves both
from a thread of the harness and mints one long-lived token with the roles the
benchmarked routes need, signed the way Keycloak signs (RS256, 2048-bit key, kid).
"""

from __future__ import annotations

import json
import threading
import time
import timeit
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KID = "duka-bench-1"
ROLES = ["orders:read", "orders:write", "customers:read", "customers:write", "staff"]
AUDIENCE = "duka-api"  # Settings.oidc_audience's default


class BenchIssuer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.issuer = f"http://127.0.0.1:{port}/realms/duka-bench"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        self._documents: dict[str, bytes] = {
            "/realms/duka-bench/.well-known/openid-configuration": json.dumps(
                {
                    "issuer": self.issuer,
                    "jwks_uri": f"{self.issuer}/protocol/openid-connect/certs",
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            ).encode(),
            "/realms/duka-bench/protocol/openid-connect/certs": json.dumps(
                {"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]}
            ).encode(),
        }

    def token(self, lifetime_s: int = 6 * 3600) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "bench-load-generator",
            "azp": "duka-ingest",  # a client the API accepts by default
            "typ": "Bearer",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_s,
            "roles": ROLES,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": KID})

    def verify_cost_us(self, rounds: int = 2000) -> float:
        """What one RS256 check of that token costs here (PyJWT, as Duka does it)."""
        token, public = self.token(), self._key.public_key()

        def check() -> None:
            jwt.decode(token, public, algorithms=["RS256"], audience=AUDIENCE, issuer=self.issuer)

        return round(timeit.timeit(check, number=rounds) / rounds * 1e6, 1)

    @contextmanager
    def serving(self) -> Iterator[BenchIssuer]:
        documents = self._documents

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = documents.get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the harness's output stays readable

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        thread = threading.Thread(target=server.serve_forever, name="bench-issuer", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
