"""Prometheus plumbing shared by the entrypoints: the multiprocess directory and the
metrics port. The metrics themselves live beside what they measure (docs/operations.md)."""
