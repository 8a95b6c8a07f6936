from __future__ import annotations

from duka.core.errors import DomainError, NotFoundError


class CallbackSecretError(DomainError):
    """The caller did not prove it knows DUKA_AT_CALLBACK_SECRET."""

    slug = "unauthorized"
    title = "Authentication required"
    status = 401
    challenge = 'Basic realm="duka-callbacks", charset="UTF-8"'

    def __init__(self) -> None:
        super().__init__(
            "Send the callback secret as the password of HTTP basic auth, or as the last "
            "segment of the callback URL."
        )


class CallbackDisabledError(NotFoundError):
    def __init__(self) -> None:
        # Same answer as any unknown path: an unconfigured callback reveals nothing.
        super().__init__("Not Found")
