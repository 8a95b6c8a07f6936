"""ASGI entry point for uvicorn workers: `uvicorn api.asgi:app`."""

import gc

from duka.metrics import buffered

# A worker of `duka serve` with metrics on records into its parent's multiprocess
# directory: its metric values are buffered (duka/metrics/buffered.py), which must be
# chosen before the first metric exists, that is before the app's modules are imported.
buffered.install()

from api.main import create_app  # noqa: E402

app = create_app()
# Everything imported and built so far lives as long as the worker. Frozen, the collector
# stops walking it on every full collection, which the request path's allocations trigger.
gc.freeze()
