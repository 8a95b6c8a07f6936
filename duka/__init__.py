"""Duka's domain core: what the entrypoints (REST in `api/`, the SMS flows in `flows/`) share.

It imports no web or orchestration framework and no entrypoint (docs/architecture.md).
"""
