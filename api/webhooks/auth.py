"""Authenticating Africa's Talking callbacks. AT signs nothing, so the callback URL carries
a shared secret: as HTTP basic auth (preferred: proxies and access logs do not record it),
or as the URL's last path segment for set-ups that cannot send credentials."""

# No `from __future__ import annotations`: FastAPI resolves a callable object's
# annotations without its module globals, so they must be real objects here.
import base64
import binascii
import hmac

from fastapi import Request

from api.deps import SettingsDep
from duka.webhooks.exceptions import CallbackDisabledError, CallbackSecretError


def _basic_password(authorization: str) -> str | None:
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic" or not credentials.strip():
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, sep, password = decoded.partition(":")
    return password if sep else None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class CallbackSecret:
    """The route's whole authentication: an explicit dependency, instead of bearer tokens.

    A class so that route listings can tell these routes from the token-protected ones.
    """

    async def __call__(self, request: Request, settings: SettingsDep) -> None:
        if settings.at_callback_secret is None:
            raise CallbackDisabledError
        expected = settings.at_callback_secret.get_secret_value()
        in_path = request.path_params.get("secret")
        given = (
            in_path
            if isinstance(in_path, str)
            else _basic_password(request.headers.get("authorization", ""))
        )
        if given is None or not _same(given, expected):
            raise CallbackSecretError


callback_secret = CallbackSecret()
