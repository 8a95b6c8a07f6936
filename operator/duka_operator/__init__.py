"""Duka's Kubernetes operator (`kopf run -m duka_operator`).

Importing the package registers the kopf handlers. The import name is `duka_operator`, in the
folder operator/, because a top-level package named `operator` would shadow the standard
library's module of that name.
"""

from duka_operator import database_handlers, keycloak_handlers, metrics, startup

__all__ = ["database_handlers", "keycloak_handlers", "metrics", "startup"]
