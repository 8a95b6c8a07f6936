"""localhost/debian-base:bookworm: debootstrap's minbase, optionally trusting the host's CAs.

No image registry is reachable here, so the root of every image is made from Debian's
packages: `debootstrap --variant=minbase`, then `tar | podman import`. "Extra CA certificates
from the host" copies /usr/local/share/ca-certificates/*.crt into the image and sets
SSL_CERT_FILE/PIP_CERT: needed behind a TLS-inspecting proxy (this machine reaches the
package registries through one), on by default when the host has such certificates.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from podman import podman
from steps import BuildError, Hasher, log, run

SUITE = "bookworm"
# Bump when build() changes what lands in the image (the cache key; editing comments is free).
RECIPE = "1"
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# Like Debian's own slim images: no manuals or docs in an image (copyright files stay).
DPKG_SLIM = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
"""


def host_certificates() -> list[Path]:
    """The host's extra CA certificates (what update-ca-certificates reads), sorted."""
    if not HOST_CA_DIR.is_dir():
        return []
    return sorted(p for p in HOST_CA_DIR.rglob("*.crt") if p.is_file())


def inputs(with_host_ca: bool) -> str:
    h = Hasher("debian-base").text("recipe", RECIPE).text("suite", SUITE)
    h.text("dpkg-slim", DPKG_SLIM)
    h.text("mirror", os.environ.get("DUKA_DEBIAN_MIRROR", ""))
    h.text("host-ca", str(with_host_ca))
    if with_host_ca:
        h.files(HOST_CA_DIR, host_certificates())
    return h.hexdigest()


def _slim(root: Path) -> None:
    (root / "etc/dpkg/dpkg.cfg.d/duka-slim").write_text(DPKG_SLIM)
    for pattern in ("var/cache/apt/*.bin", "var/cache/apt/archives/*.deb", "var/lib/apt/lists/*"):
        for path in root.glob(pattern):
            if path.is_file():
                path.unlink()
    for folder in ("usr/share/man", "usr/share/info", "usr/share/locale", "var/log"):
        for path in (root / folder).glob("*"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    for doc in (root / "usr/share/doc").glob("*"):
        for path in doc.iterdir() if doc.is_dir() else ():
            if path.name != "copyright":
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def _trust_host_ca(root: Path) -> None:
    target = root / "usr/local/share/ca-certificates"
    target.mkdir(parents=True, exist_ok=True)
    for cert in host_certificates():
        shutil.copyfile(cert, target / cert.name)
        log(f"trusting the host's CA certificate {cert.name}")
    run(["chroot", str(root), "update-ca-certificates"], what="update-ca-certificates")


def build(ref: str, *, with_host_ca: bool, label: str) -> None:
    if os.geteuid() != 0:
        raise BuildError("debootstrap needs root: run `sudo python3 deploy/image/build.py base`")
    if shutil.which("debootstrap") is None:
        raise BuildError("debootstrap is missing: apt-get install debootstrap")
    with tempfile.TemporaryDirectory(prefix="duka-debootstrap-", dir="/var/tmp") as tmp:
        root = Path(tmp) / "root"
        mirror = os.environ.get("DUKA_DEBIAN_MIRROR")
        argv = ["debootstrap", "--variant=minbase", "--include=ca-certificates", SUITE, str(root)]
        run(argv + ([mirror] if mirror else []), what=f"debootstrap {SUITE} (about 2 minutes)")
        if with_host_ca:
            _trust_host_ca(root)
        _slim(root)
        changes = [f"LABEL {label}", "ENV LANG=C.UTF-8", 'CMD ["/bin/bash"]']
        if with_host_ca:
            changes += [f"ENV SSL_CERT_FILE={CA_BUNDLE}", f"ENV PIP_CERT={CA_BUNDLE}"]
        flags = [f"--change={c}" for c in changes]
        log(f"importing the root filesystem as {ref}")
        tar = subprocess.Popen(  # noqa: S603
            ["tar", "-C", str(root), "--numeric-owner", "-c", "."],  # noqa: S607
            stdout=subprocess.PIPE,
        )
        try:
            run(podman("import", *flags, "-", ref), what="podman import", stdin=tar.stdout)
        finally:
            if tar.stdout:
                tar.stdout.close()
            if tar.wait() != 0:
                raise BuildError("tar of the debootstrap root failed")
