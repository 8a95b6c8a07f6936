"""Duka's benchmark harness: `make bench` (see docs/benchmarks.md). Scripts, not tests."""
