"""Whether a host is this machine's loopback: the sandbox binds only there and answers its
controls only to requests addressed there. Its own check, so the sandbox needs nothing of the
product (the service has a like rule for plain-HTTP gateways in `duka.notifications.sms`)."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """`localhost`, or a loopback IPv4/IPv6 address (no brackets, no port)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
