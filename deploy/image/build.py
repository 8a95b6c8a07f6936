#!/usr/bin/env python3
"""Build Duka's container images locally with podman, each cached by a hash of its inputs.

    python3 deploy/image/build.py NAME [--tag TAG] [--force]   # build (or reuse) one image
    python3 deploy/image/build.py --ref NAME                   # print its reference only

NAME is one of: base, python, duka, keycloak, postgres, prefect, sandbox (what each is: IMAGES
below).
Progress goes to stdout as `[image] ...` lines (the tools' own output to stderr); the LAST
stdout line is the image reference, so `ref=$(... | tail -n1)` works. An image whose
`dev.duka.inputs` label matches the hash of what its build would read is reused as it is.
Standard library only: it runs before the project's environment exists.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import base
import recipes
from steps import BuildError, Timer, log, mb, size_bytes

IMAGES = {
    "base": "localhost/debian-base:bookworm (debootstrap minbase + host CA certificates)",
    "python": "localhost/python-base:3.11 (base + Debian's python3.11: the Dockerfile's base)",
    "duka": "localhost/duka:<version> (the project's Dockerfile: what `make image` builds)",
    "keycloak": "localhost/duka-keycloak:<version> (JDK 21+ and the Keycloak dist)",
    "postgres": "localhost/duka-postgres:<major> (Debian's PostgreSQL server)",
    "prefect": "localhost/duka-prefect:<version> (the Prefect server)",
    "sandbox": "localhost/duka-sandbox:<version> (duka + the AT sandbox, for the dev/e2e sidecar)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", choices=list(IMAGES))
    parser.add_argument("--ref", metavar="NAME", choices=list(IMAGES), help="print NAME's ref")
    parser.add_argument("--tag", help="build under this tag instead of the default one")
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    ca = parser.add_mutually_exclusive_group()
    ca.add_argument(
        "--host-ca",
        dest="host_ca",
        action="store_true",
        default=None,
        help="extra CA certificates from the host (/usr/local/share/ca-certificates/*.crt) "
        "in the base image; the default when the host has some",
    )
    ca.add_argument("--no-host-ca", dest="host_ca", action="store_false")
    args = parser.parse_args(argv)
    if args.ref:
        print(recipes.reference(args.ref, args.tag))
        return 0
    if not args.name:
        parser.error("name an image: " + ", ".join(IMAGES))
    host_ca = bool(base.host_certificates()) if args.host_ca is None else args.host_ca
    timer = Timer()
    try:
        ref, built = recipes.ensure(args.name, tag=args.tag, force=args.force, host_ca=host_ca)
    except BuildError as exc:
        print(f"[image] error: {exc}", file=sys.stderr)
        return 1
    own, parent = recipes.own_size(args.name, ref)
    verb = "built" if built else "up to date"
    detail = f", {mb(own)} above {parent}" if parent else ""
    log(f"{ref}: {verb} in {timer.seconds():.1f} s, {mb(size_bytes(ref))}{detail}")
    print(ref)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
