"""Order SMS benchmark: `uv run python -m bench.sms` (docs/benchmarks.md, "Order SMS").

Never a timed test. It starts its own PostgreSQL, Prefect server, sandbox and runner."""
