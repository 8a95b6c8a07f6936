"""Everything one sandbox instance holds: its config, inbox, faults and report sender."""

from __future__ import annotations

from devtools.at_sandbox.config import SandboxConfig
from devtools.at_sandbox.faults import FaultConfig, FaultInjector
from devtools.at_sandbox.inbox import Inbox
from devtools.at_sandbox.opt_out import Blacklist, OptOutNotifier
from devtools.at_sandbox.reports import DeliveryReporter


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.inbox = Inbox(config.inbox_limit)
        # Swapped whole, never mutated: a request keeps the injector it started with.
        self.faults = FaultInjector(config.faults)
        self.reporter = DeliveryReporter(
            config.callback_url, config.network_code, self.inbox, lambda: self.faults
        )
        # Numbers opted out: sends to them answer 406 UserInBlacklist, as AT's do.
        self.blacklist = Blacklist()
        self.opt_outs = OptOutNotifier(config.opt_out_url)

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the faults; the dice restart from the new seed."""
        self.faults = FaultInjector(faults)

    def reset_faults(self) -> None:
        """Back to the faults the sandbox started with."""
        self.faults = FaultInjector(self.config.faults)

    def reset(self) -> None:
        """Faults back to the start, inbox and blacklist emptied: a clean sandbox without a
        restart."""
        self.reset_faults()
        self.inbox.clear()
        self.blacklist.clear()
