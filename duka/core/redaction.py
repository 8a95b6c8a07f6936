"""Secrets that travel in URL paths never leave the process: logs, problem documents and
access-log lines show `[redacted]` in their place.

The Africa's Talking callback may carry its shared secret as the last path segment (for
set-ups that cannot send credentials). Routers that take such a segment register the path
prefix in front of it once; everything that shows a path goes through `redact_path`.
"""

from __future__ import annotations

import logging

REDACTED = "[redacted]"
# Path prefixes after which the next segment is a secret (e.g. ".../delivery/").
_SECRET_PREFIXES: set[str] = set()


def register_secret_segment(prefix: str) -> None:
    """Declare that the path segment following `prefix` is a secret (idempotent)."""
    _SECRET_PREFIXES.add(prefix if prefix.endswith("/") else prefix + "/")


def redact_path(path: str) -> str:
    """The path (or path?query) with every registered secret segment replaced."""
    for prefix in _SECRET_PREFIXES:
        start = path.find(prefix)
        if start < 0:
            continue
        begin = start + len(prefix)
        end = len(path)
        for stop in ("/", "?", "#"):
            at = path.find(stop, begin)
            if at >= 0:
                end = min(end, at)
        if end > begin:
            path = path[:begin] + REDACTED + path[end:]
    return path


class RedactSecretPaths(logging.Filter):
    """Rewrites string arguments of a log record that contain a secret path segment.

    On uvicorn's access logger (whose record carries the request path as an argument), and
    on any other logger that formats paths from arguments.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and _SECRET_PREFIXES:
            record.args = tuple(redact_path(a) if isinstance(a, str) else a for a in args)
        return True


def install_log_filter(logger_names: tuple[str, ...] = ("uvicorn.access", "uvicorn.error")) -> None:
    """Put the filter on the loggers that show request paths (once per logger)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecretPaths) for f in logger.filters):
            logger.addFilter(RedactSecretPaths())
