"""A local stand-in for Africa's Talking's SMS API, for development and tests.

It speaks the contract the official SDK uses (POST /version1/messaging, form-encoded, and the
JSON bulk endpoint), sends delivery reports to a callback URL, injects faults on demand, and
keeps an inbox of accepted messages. Run it with `python -m devtools.at_sandbox --help`; embed
it in tests with `devtools.at_sandbox.runner.SandboxServer`. It binds loopback addresses only.
It imports nothing of Duka's own code, so that it checks the service instead of mirroring it.
"""

from devtools.at_sandbox.app import create_app
from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultConfig

__all__ = ["FaultConfig", "SandboxConfig", "create_app"]
