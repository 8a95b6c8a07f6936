"""Counters of token checks and key fetches (docs/operations.md, "API").

prometheus_client is a plain library, allowed in the domain by the import contracts, and a
counter costs less than any observer indirection would: the verifier counts directly. In
the API's worker processes the values go to the multiprocess files; elsewhere (tests, the
operator) they stay in the process's default registry, unexported.
"""

from __future__ import annotations

from prometheus_client import Counter

TOKEN_VALIDATIONS = Counter(
    "duka_token_validations",
    "Bearer tokens checked, by outcome: valid (full check), cached (remembered valid "
    "token), invalid (refused, 401), unavailable (the issuer's keys could not be had, 503).",
    ["outcome"],
)
TOKEN_VALID = TOKEN_VALIDATIONS.labels("valid")
TOKEN_CACHED = TOKEN_VALIDATIONS.labels("cached")
TOKEN_INVALID = TOKEN_VALIDATIONS.labels("invalid")
TOKEN_UNAVAILABLE = TOKEN_VALIDATIONS.labels("unavailable")

KEY_FETCHES = Counter(
    "duka_oidc_key_fetches",
    "Fetches of the issuer's discovery document and signing keys, by outcome (ok, error).",
    ["outcome"],
)
KEY_FETCH_OK = KEY_FETCHES.labels("ok")
KEY_FETCH_ERROR = KEY_FETCHES.labels("error")
