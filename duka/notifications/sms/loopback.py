"""Whether a host name or address is this machine's loopback: plain HTTP to Africa's
Talking is allowed only there (the local sandbox, which keeps its own copy of this rule in
devtools/at_sandbox/loopback.py)."""

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
