"""The steps every image build shares: run a command, read and compare the cache label, size.

Each image carries the label `dev.duka.inputs`, a SHA-256 over everything its build reads
(recipe, build arguments, the parent image's id, the files copied in). A build whose inputs
hash equals the label on the existing image is skipped: that is what makes a rerun take
seconds without trusting the layer cache's own (slower, per-step) checks.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from podman import podman

INPUTS_LABEL = "dev.duka.inputs"


class BuildError(RuntimeError):
    """A build step failed; the message names the step and how to see why."""


def log(message: str) -> None:
    print(f"[image] {message}", flush=True)


def run(
    argv: Sequence[str],
    *,
    what: str,
    stdin: IO[bytes] | int | None = None,
    cwd: Path | None = None,
) -> None:
    """Run a step, its output going to stderr so stdout keeps only progress and the ref."""
    log(f"{what}: {' '.join(argv[:6])}{' ...' if len(argv) > 6 else ''}")
    done = subprocess.run(  # noqa: S603
        list(argv), stdout=sys.stderr, stdin=stdin, cwd=cwd, check=False
    )
    if done.returncode != 0:
        raise BuildError(f"{what} failed (exit {done.returncode}); its output is above")


def capture(argv: Sequence[str]) -> str | None:
    done = subprocess.run(list(argv), capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip() if done.returncode == 0 else None


def inspect(ref: str) -> dict[str, Any] | None:
    """`podman image inspect` of ref, or None when there is no such image."""
    out = capture(podman("image", "inspect", ref))
    if not out:
        return None
    found: list[dict[str, Any]] = json.loads(out)
    return found[0] if found else None


def image_id(ref: str) -> str:
    found = inspect(ref)
    if found is None:
        raise BuildError(f"image {ref} does not exist")
    return str(found["Id"])


def labels(ref: str) -> dict[str, str]:
    """The image's labels ({} when there is no such image)."""
    found = inspect(ref) or {}
    return dict((found.get("Config") or {}).get("Labels") or {})


def current_inputs(ref: str) -> str | None:
    return labels(ref).get(INPUTS_LABEL)


def size_bytes(ref: str) -> int:
    found = inspect(ref)
    return int(found["Size"]) if found else 0


class Hasher:
    """SHA-256 over named parts, so reordering or renaming an input changes the hash."""

    def __init__(self, recipe: str) -> None:
        self._h = hashlib.sha256(recipe.encode())

    def text(self, name: str, value: str) -> Hasher:
        self._h.update(f"\0{name}\0{len(value)}\0".encode() + value.encode())
        return self

    def file(self, name: str, path: Path) -> Hasher:
        data = path.read_bytes()
        self._h.update(f"\0{name}\0{len(data)}\0".encode() + data)
        # The executable bit is part of what COPY copies.
        self._h.update(b"x" if path.stat().st_mode & 0o111 else b"-")
        return self

    def files(self, root: Path, paths: Iterable[Path]) -> Hasher:
        for path in sorted(paths):
            self.file(path.relative_to(root).as_posix(), path)
        return self

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def fresh(ref: str, inputs: str) -> bool:
    """True when ref exists and was built from exactly these inputs."""
    return current_inputs(ref) == inputs


class Timer:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def seconds(self) -> float:
        return time.monotonic() - self.start


def mb(n: int) -> str:
    return f"{n / 1e6:.0f} MB"
