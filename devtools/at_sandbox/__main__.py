"""`python -m devtools.at_sandbox`: serve the sandbox in the foreground (Ctrl-C stops it)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from devtools.at_sandbox.config import SandboxConfig


def parse_args(argv: Sequence[str] | None = None) -> SandboxConfig:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.at_sandbox",
        description=(
            "Local Africa's Talking SMS sandbox. Options override AT_SANDBOX_* environment "
            "variables (e.g. AT_SANDBOX_FAULTS='{\"error_rate\": 0.1}')."
        ),
    )
    parser.add_argument("--host", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8025; 0 picks a free one)")
    parser.add_argument("--username", help="accepted username (default sandbox)")
    parser.add_argument("--api-key", dest="api_key", help="accepted apiKey header value")
    parser.add_argument("--callback-url", dest="callback_url", help="delivery report URL")
    parser.add_argument("--opt-out-url", dest="opt_out_url", help="opt-out notification URL")
    parser.add_argument(
        "--sender-id",
        dest="sender_ids",
        action="append",
        help="registered sender id (repeatable); none given accepts any",
    )
    parser.add_argument("--faults", help="fault config as JSON (see /_sandbox/faults)")
    parser.add_argument("--log-level", dest="log_level", choices=["debug", "info", "warning"])
    args = vars(parser.parse_args(argv))
    overrides = {key: value for key, value in args.items() if value is not None}
    if "faults" in overrides:
        from devtools.at_sandbox.faults import FaultConfig

        try:
            overrides["faults"] = FaultConfig.model_validate_json(overrides["faults"])
        except ValidationError as exc:
            parser.error(f"--faults: {exc}")
    try:
        return SandboxConfig(**overrides)
    except ValidationError as exc:
        parser.error(str(exc))


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    from devtools.at_sandbox.app import create_app

    config = parse_args(argv)
    print(
        f"[at-sandbox] http://{config.host}:{config.port}  (username={config.username}, "
        f"inbox: /_sandbox/inbox.html, faults: /_sandbox/faults)",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        create_app(config),
        host=config.host,
        port=config.port,
        log_level=config.log_level,
        server_header=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
