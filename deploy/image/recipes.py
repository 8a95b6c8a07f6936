"""What each image is built from, its reference, and when it is up to date.

Every build here hashes its inputs (steps.Hasher) and labels the image with the hash and with
its parent's reference; `ensure` builds the parents first and skips an image whose label
already matches. References are a contract: the cluster and Ansible harnesses build and
load the images by these names.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import base
import context
import devstack
from podman import podman, podman_build
from steps import (
    INPUTS_LABEL,
    BuildError,
    Hasher,
    capture,
    fresh,
    image_id,
    inspect,
    labels,
    log,
    run,
    size_bytes,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CONTAINERFILES = HERE / "containerfiles"
PARENT_LABEL = "dev.duka.parent"
POSTGRES_MAJOR = "15"  # Debian bookworm's PostgreSQL


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def keycloak_version() -> str:
    source = (ROOT / "devtools/keycloak_dist.py").read_text()
    found = re.search(r'^KEYCLOAK_VERSION = "([^"]+)"', source, re.MULTILINE)
    if not found:
        raise BuildError("KEYCLOAK_VERSION not found in devtools/keycloak_dist.py")
    return found.group(1)


def locked_version(package: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    for entry in lock["package"]:
        if entry["name"] == package:
            return str(entry["version"])
    raise BuildError(f"{package} is not in uv.lock")


def reference(name: str, tag: str | None = None) -> str:
    repos: dict[str, tuple[str, Callable[[], str]]] = {
        "base": ("localhost/debian-base", lambda: base.SUITE),
        "python": ("localhost/python-base", lambda: "3.11"),
        "duka": ("localhost/duka", project_version),
        "keycloak": ("localhost/duka-keycloak", keycloak_version),
        "postgres": ("localhost/duka-postgres", lambda: POSTGRES_MAJOR),
        "prefect": ("localhost/duka-prefect", lambda: locked_version("prefect")),
        "sandbox": ("localhost/duka-sandbox", project_version),
    }
    repo, default_tag = repos[name]
    return f"{repo}:{tag or default_tag()}"


def _labels(inputs: str, parent: str) -> list[str]:
    return ["--label", f"{INPUTS_LABEL}={inputs}", "--label", f"{PARENT_LABEL}={parent}"]


def _containerfile_build(
    name: str, ref: str, parent: str, *, force: bool, args: dict[str, str] | None = None
) -> bool:
    """Build containerfiles/NAME.Containerfile FROM parent, in a context made for it."""
    containerfile = CONTAINERFILES / f"{name}.Containerfile"
    build_args = {"BASE_IMAGE": parent, **(args or {})}
    h = Hasher(name).file("Containerfile", containerfile).text("parent", image_id(parent))
    for key, value in sorted(build_args.items()):
        h.text(f"arg:{key}", value)
    extra = CONTAINERFILES / name
    if extra.is_dir():
        h.files(CONTAINERFILES, (p for p in extra.rglob("*") if p.is_file()))
    constraints = ""
    if name == "prefect":
        constraints = devstack.prefect_constraints()
        h.text("constraints", constraints)
    if name == "sandbox":
        h.files(ROOT, devstack.sandbox_files())
    keycloak = None
    if name == "keycloak":
        keycloak = devstack.keycloak_inputs(h, build_args["KEYCLOAK_VERSION"])
    inputs = h.hexdigest()
    if not force and fresh(ref, inputs):
        return False
    with tempfile.TemporaryDirectory(prefix=f"duka-image-{name}-", dir="/var/tmp") as tmp:
        context = Path(tmp)
        if extra.is_dir():
            shutil.copytree(extra, context / name)
        if constraints:
            (context / name).mkdir(exist_ok=True)
            (context / name / "constraints.txt").write_text(constraints)
        if keycloak is not None:
            devstack.keycloak_context(context, *keycloak)
        if name == "sandbox":
            devstack.sandbox_context(context)
        argv = ["-f", str(containerfile), "-t", ref, *_labels(inputs, parent)]
        for key, value in build_args.items():
            argv += ["--build-arg", f"{key}={value}"]
        run(podman_build(*argv, str(context)), what=f"podman build {ref}")
    return True


def _public_python() -> str | None:
    """The Dockerfile's default PYTHON_IMAGE, fully qualified, if it is here or can be pulled."""
    found = re.search(r"^ARG PYTHON_IMAGE=(\S+)", (ROOT / "Dockerfile").read_text(), re.M)
    if not found:
        return None
    public = found.group(1)
    if "/" not in public.split(":")[0]:
        public = f"docker.io/library/{public}"
    if inspect(public) is not None:
        return public
    log(f"trying to pull {public}")
    try:
        done = subprocess.run(  # noqa: S603
            podman("pull", "--quiet", public), capture_output=True, text=True, timeout=300
        )
    except subprocess.TimeoutExpired:
        done = None
    if done is not None and done.returncode == 0:
        return public
    reason = done.stderr.strip().splitlines()[-1] if done and done.stderr.strip() else "timeout"
    log(f"the public base cannot be pulled ({reason[:160]}); using the local python base")
    return None


def _git(*args: str) -> str:
    return capture(["git", "-C", str(ROOT), *args]) or "unknown"


def _duka(ref: str, *, force: bool, host_ca: bool) -> bool:
    # GraphiQL's bundles are fetched here, on the host (npm ci, cached), and reach the image
    # through the build context, so the container build itself needs no npm and no network.
    fetch = ROOT / "deploy" / "graphiql" / "fetch.py"
    run([sys.executable, str(fetch)], what="GraphiQL's bundles")
    python = os.environ.get("DUKA_PYTHON_IMAGE") or _public_python()
    if python is None:
        python = ensure("python", host_ca=host_ca)[0]
    revision = _git("rev-parse", "HEAD")
    created = _git("log", "-1", "--format=%cI")
    if created == "unknown":
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    build_args = {
        "PYTHON_IMAGE": python,
        "VERSION": project_version(),
        "REVISION": revision,
        "CREATED": created,
    }
    h = Hasher("duka").text("podman", " ".join(podman_build()))
    if inspect(python):
        h.text("parent", image_id(python))
    for key, value in sorted(build_args.items()):
        h.text(f"arg:{key}", value)
    h.files(ROOT, context.files(ROOT))
    inputs = h.hexdigest()
    if not force and fresh(ref, inputs):
        return False
    argv = ["-f", str(ROOT / "Dockerfile"), "-t", ref, *_labels(inputs, python)]
    for key, value in build_args.items():
        argv += ["--build-arg", f"{key}={value}"]
    run(podman_build(*argv, str(ROOT)), what=f"podman build {ref} (the project's Dockerfile)")
    return True


def ensure(
    name: str, *, tag: str | None = None, force: bool = False, host_ca: bool = True
) -> tuple[str, bool]:
    """Build NAME (and what it stands on) unless up to date: (reference, whether built)."""
    ref = reference(name, tag)
    if name == "base":
        inputs = base.inputs(host_ca)
        if not force and fresh(ref, inputs):
            return ref, False
        base.build(ref, with_host_ca=host_ca, label=f"{INPUTS_LABEL}={inputs}")
        return ref, True
    if name == "duka":
        return ref, _duka(ref, force=force, host_ca=host_ca)
    parents = {
        "python": "base",
        "keycloak": "base",
        "postgres": "base",
        "prefect": "python",
        "sandbox": "duka",
    }
    parent = ensure(parents[name], host_ca=host_ca)[0]
    args: dict[str, str] = {}
    if name == "prefect":
        args = {"PREFECT_VERSION": locked_version("prefect")}
    if name == "postgres":
        args = {"POSTGRES_MAJOR": POSTGRES_MAJOR}
    if name == "keycloak":
        args = {"KEYCLOAK_VERSION": keycloak_version()}
    return ref, _containerfile_build(name, ref, parent, force=force, args=args)


def own_size(name: str, ref: str) -> tuple[int, str | None]:
    """Bytes of ref's own layers above its parent image, and the parent's reference."""
    parent = labels(ref).get(PARENT_LABEL)
    if not parent or inspect(parent) is None:
        return 0, None
    return size_bytes(ref) - size_bytes(parent), str(parent)
