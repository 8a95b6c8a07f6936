"""The files of the Dockerfile's build context, read from .dockerignore like podman does.

Only the subset of .dockerignore syntax the project uses: `*` first, then `!path` allow-list
entries and `**/pattern` exclusions. Hashing exactly these files (plus Dockerfile and
.dockerignore) tells whether a rebuild could change anything.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from pathlib import Path


def _rules(root: Path) -> tuple[list[str], list[str]]:
    allowed: list[str] = []
    excluded: list[str] = []
    for raw in (root / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line == "*":
            continue
        if line.startswith("!"):
            allowed.append(line[1:].rstrip("/"))
        else:
            excluded.append(line.removeprefix("**/"))
    return allowed, excluded


def files(root: Path) -> Iterator[Path]:
    """Every file the build context holds, plus Dockerfile and .dockerignore."""
    allowed, excluded = _rules(root)
    yield root / "Dockerfile"
    yield root / ".dockerignore"
    for entry in allowed:
        top = root / entry
        candidates = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in candidates:
            parts = path.relative_to(root).parts
            if not path.is_file() or any(
                fnmatch.fnmatch(part, pattern) for part in parts for pattern in excluded
            ):
                continue
            yield path
