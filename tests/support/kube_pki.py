"""Throwaway PKI for a local kube-apiserver, made fresh at every start and never committed.

One CA signs the serving certificate (127.0.0.1 and localhost) and an admin client
certificate in group system:masters, which RBAC lets do anything: the same shape as
controller-runtime's envtest. A separate RSA key pair signs service-account tokens.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=1)
ADMIN_USER = "duka-admin"
ADMIN_GROUP = "system:masters"

_Key = ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class KubePki:
    """Paths of the PEM files the apiserver and its clients need."""

    ca_cert: Path
    serving_cert: Path
    serving_key: Path
    client_cert: Path
    client_key: Path
    sa_public_key: Path
    sa_private_key: Path
    # The CA's key: a whole cluster (tests/support/kube_cluster.py) signs more identities.
    ca_key: Path


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(parts)


def _new_key() -> _Key:
    # P-256: fast to generate, accepted by Go's TLS and by every Python client.
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: _Key | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_usage(*, signs_certs: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certs,
        crl_sign=signs_certs,
        encipher_only=False,
        decipher_only=False,
    )


def _builder(subject: x509.Name, issuer: x509.Name, key: _Key) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # A little slack for clock differences between the test process and the server.
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
    )


def _leaf(
    subject: x509.Name,
    ca: tuple[x509.Certificate, _Key],
    usage: x509.ObjectIdentifier,
    san: x509.SubjectAlternativeName | None = None,
) -> tuple[x509.Certificate, _Key]:
    ca_cert, ca_key = ca
    key = _new_key()
    builder = (
        _builder(subject, ca_cert.subject, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signs_certs=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if san is not None:
        builder = builder.add_extension(san, critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def _ca() -> tuple[x509.Certificate, _Key]:
    key = _new_key()
    name = _name("duka-test-kube-ca")
    cert = (
        _builder(name, name, key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_certs=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_pki(
    folder: Path, *, extra_ips: tuple[str, ...] = (), extra_names: tuple[str, ...] = ()
) -> KubePki:
    """Write a fresh CA, serving cert, admin client cert and SA key pair into `folder`.

    `extra_ips` / `extra_names` join 127.0.0.1 / localhost in the serving certificate, e.g.
    the node's address and the `kubernetes` Service's ClusterIP and names for pods."""
    folder.mkdir(parents=True, exist_ok=True)
    ca = _ca()
    ips = ("127.0.0.1", *extra_ips)
    san = x509.SubjectAlternativeName(
        [x509.IPAddress(ipaddress.IPv4Address(ip)) for ip in ips]
        + [x509.DNSName(name) for name in ("localhost", *extra_names)]
    )
    serving = _leaf(_name("kube-apiserver"), ca, ExtendedKeyUsageOID.SERVER_AUTH, san)
    client = _leaf(_name(ADMIN_USER, ADMIN_GROUP), ca, ExtendedKeyUsageOID.CLIENT_AUTH)
    # RSA for service-account tokens: RS256 is what every token consumer accepts.
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    pki = KubePki(
        ca_cert=folder / "ca.crt",
        serving_cert=folder / "apiserver.crt",
        serving_key=folder / "apiserver.key",
        client_cert=folder / "admin.crt",
        client_key=folder / "admin.key",
        sa_public_key=folder / "sa.pub",
        sa_private_key=folder / "sa.key",
        ca_key=folder / "ca.key",
    )
    files = {
        pki.ca_cert: _cert_pem(ca[0]),
        pki.ca_key: _key_pem(ca[1]),
        pki.serving_cert: _cert_pem(serving[0]),
        pki.serving_key: _key_pem(serving[1]),
        pki.client_cert: _cert_pem(client[0]),
        pki.client_key: _key_pem(client[1]),
        pki.sa_private_key: _key_pem(sa_key),
        pki.sa_public_key: sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    }
    for path, data in files.items():
        path.touch(mode=0o600)
        path.write_bytes(data)
    return pki


def issue_client_cert(
    pki: KubePki, folder: Path, name: str, common_name: str, organization: str | None = None
) -> tuple[Path, Path]:
    """A client certificate for user `common_name` (group `organization`) signed by the CA:
    `folder/name.crt` and `folder/name.key`. Kubernetes reads CN as the user, O as a group."""
    ca_cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"{pki.ca_key} is not the EC key make_pki writes")
    cert, key = _leaf(
        _name(common_name, organization), (ca_cert, ca_key), ExtendedKeyUsageOID.CLIENT_AUTH
    )
    paths = (folder / f"{name}.crt", folder / f"{name}.key")
    for path, data in zip(paths, (_cert_pem(cert), _key_pem(key)), strict=True):
        path.touch(mode=0o600)
        path.write_bytes(data)
    return paths
