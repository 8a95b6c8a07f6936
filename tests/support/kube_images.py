"""Images for the test cluster: built here with podman, loaded into its containerd. Nothing is
pulled (no image registry is reachable from this machine).

- The project's images (duka, keycloak/postgres/prefect for the devstack chart, sandbox for
  the flow runner's AT sandbox sidecar) come from
  `python3 deploy/image/build.py NAME`, whose last stdout line is the image reference.
- The pause (pod sandbox) and CoreDNS images are single static binaries from deploy/tools in a
  `FROM scratch` image.
- `load()` streams `podman save` into `ctr images import` and remembers the podman image id,
  so an unchanged image is not imported twice into the persistent containerd root.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGE_CLI = ROOT / "deploy" / "image" / "build.py"
# Debian's podman 4.3 on this kernel: runc (crun refuses the hybrid cgroup layout) and
# explicit rlimits (the defaults are refused). deploy/image/podman.py holds the same flags.
PODMAN = ["podman", "--runtime", "runc"]
ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]
NONROOT = "65532:65532"


class ImageError(RuntimeError):
    pass


def _run(argv: list[str], *, timeout_s: float = 1800) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    if done.returncode != 0:
        raise ImageError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def project_image(name: str, tag: str | None = None) -> str:
    """Build (cached) one of deploy/image's images and return its reference."""
    if not IMAGE_CLI.is_file():
        raise ImageError(f"{IMAGE_CLI} is missing: the image CLI builds the cluster's images")
    argv = [sys.executable, str(IMAGE_CLI), name, *(["--tag", tag] if tag else [])]
    # Progress lines go to our stderr as they come (pytest -s, make e2e).
    done = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=False, timeout=3600)
    lines = done.stdout.strip().splitlines()
    sys.stderr.write(done.stdout)
    if done.returncode != 0 or not lines:
        raise ImageError(f"{' '.join(argv)} exited {done.returncode}")
    return lines[-1].strip()


def image_id(ref: str) -> str | None:
    done = subprocess.run(
        [*PODMAN, "image", "inspect", "--format", "{{.Id}}", ref],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def scratch_image(ref: str, name: str, binary: Path, user: str = NONROOT) -> str:
    """`ref`: FROM scratch, the one static binary as /`name`, its entrypoint, run as `user`."""
    if image_id(ref) is not None:
        return ref
    with tempfile.TemporaryDirectory(prefix="duka-scratch-") as folder:
        context = Path(folder)
        shutil.copy2(binary, context / name)
        (context / "Containerfile").write_text(
            f'FROM scratch\nCOPY {name} /{name}\nUSER {user}\nENTRYPOINT ["/{name}"]\n'
        )
        _run([*PODMAN, "build", *ULIMITS, "--quiet", "-t", ref, str(context)], timeout_s=600)
    return ref


class ContainerdImages:
    """Images inside one containerd (namespace k8s.io, the one the CRI plugin reads)."""

    def __init__(self, socket: Path, marks: Path) -> None:
        self._ctr = ["ctr", "--address", str(socket), "--namespace", "k8s.io"]
        self._marks = marks

    def names(self) -> set[str]:
        out = _run([*self._ctr, "images", "list", "--quiet"])
        return set(out.split())

    def load(self, ref: str) -> bool:
        """Import `ref` from podman unless this containerd already has that same image.
        Returns whether it imported."""
        wanted = image_id(ref)
        if wanted is None:
            raise ImageError(f"podman has no image {ref}")
        self._marks.mkdir(parents=True, exist_ok=True)
        mark = self._marks / (ref.replace("/", "_").replace(":", "_") + ".json")
        known = mark.is_file() and json.loads(mark.read_text()).get("id") == wanted
        if known and ref in self.names():
            return False
        save = subprocess.Popen(
            [*PODMAN, "save", "--format", "docker-archive", ref],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            done = subprocess.run(
                [*self._ctr, "images", "import", "-"],
                stdin=save.stdout,
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
        finally:
            if save.stdout is not None:
                save.stdout.close()
            save.wait()
        if save.returncode != 0 or done.returncode != 0:
            err = save.stderr.read().decode() if save.stderr else ""
            raise ImageError(f"loading {ref} failed: {err[-1000:]} {done.stderr[-1000:]}")
        if ref not in self.names():
            raise ImageError(f"{ref} imported but containerd does not list it: {done.stdout}")
        mark.write_text(json.dumps({"ref": ref, "id": wanted}))
        return True
