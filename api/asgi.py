"""ASGI entry point for uvicorn workers: `uvicorn api.asgi:app`."""

import gc

from api.main import create_app

app = create_app()
# Everything imported and built so far lives as long as the worker. Frozen, the collector
# stops walking it on every full collection, which the request path's allocations trigger.
gc.freeze()
