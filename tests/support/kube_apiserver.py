"""A real Kubernetes API (etcd + kube-apiserver, no nodes) on 127.0.0.1, for tests and dev.

Shaped like controller-runtime's envtest: etcd with its data in a temporary folder, a
kube-apiserver with a throwaway CA, serving certificate and service-account keys, RBAC on,
and an admin client certificate in group system:masters. `kubeconfig` is usable by kubectl,
the Python kubernetes client and kopf. Nothing schedules pods: this is the API alone.

    with KubeApiServer() as kube:
        kube.kubectl("get", "namespaces")
        kube.http.get("/api/v1/namespaces")

`python -m tests.support.kube_apiserver` runs one in the foreground until Ctrl-C.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from tests.support.kube_pki import ADMIN_USER, KubePki, issue_client_cert, make_pki
from tests.support.kube_process import ManagedProcess, free_port, serve_in_foreground
from tests.support.kube_tools import KubeBinaries, find_binaries

CONTEXT = "duka-test"
# The user the API server presents to aggregated API servers (the front proxy).
FRONT_PROXY = "front-proxy-client"
# What pods call the API by (the `kubernetes` Service), for the serving certificate.
KUBERNETES_SERVICE_NAMES = (
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)


def _first_service_ip(cidr: str) -> str:
    """The `kubernetes` Service's ClusterIP: the first address of the service range."""
    return str(ipaddress.ip_network(cidr)[1])


class KubeApiServerError(RuntimeError):
    pass


class KubeApiServer:
    def __init__(
        self,
        binaries: KubeBinaries | None = None,
        *,
        start_timeout_s: float = 120.0,
        extra_apiserver_flags: tuple[str, ...] = (),
        address: str = "127.0.0.1",
        service_cidr: str = "10.0.0.0/24",
        with_nodes: bool = False,
    ) -> None:
        """`with_nodes`: the control plane of a real cluster (tests/support/kube_cluster.py)
        rather than the API alone: ServiceAccount admission on, the Node authorizer and
        NodeRestriction, the `kubernetes` Service pointing at `address`, which then must be
        one pods can reach (the node's own address, not loopback)."""
        self._binaries = binaries
        self._timeout = start_timeout_s
        self._extra_flags = extra_apiserver_flags
        self._address = address
        self._service_cidr = service_cidr
        self._with_nodes = with_nodes
        self._workdir: Path | None = None
        self._etcd: ManagedProcess | None = None
        self._apiserver: ManagedProcess | None = None
        self._pki: KubePki | None = None
        self._http: httpx.Client | None = None
        self.url = ""
        self.started_in_s = 0.0

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> KubeApiServer:
        binaries = self._binaries or find_binaries()
        self._binaries = binaries
        started = time.monotonic()
        workdir = Path(tempfile.mkdtemp(prefix="duka-kube-"))
        self._workdir = workdir
        try:
            self._pki = make_pki(
                workdir / "pki",
                extra_ips=(self._address, _first_service_ip(self._service_cidr)),
                extra_names=KUBERNETES_SERVICE_NAMES,
            )
            etcd_url = self._start_etcd(binaries.etcd, workdir)
            self._start_apiserver(binaries.kube_apiserver, workdir, etcd_url)
            self._write_kubeconfig()
        except BaseException:
            # Keep the folder: its logs say why; everything else is stopped.
            self._stop_processes()
            raise
        self.started_in_s = time.monotonic() - started
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        self._stop_processes()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> KubeApiServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what clients need --------------------------------------------------------------------

    @property
    def kubeconfig(self) -> Path:
        return self._folder() / "kubeconfig"

    @property
    def workdir(self) -> Path:
        """The temporary folder holding the PKI, etcd's data and the logs."""
        return self._folder()

    @property
    def pki(self) -> KubePki:
        if self._pki is None:
            raise KubeApiServerError("the API server is not started")
        return self._pki

    def ssl_context(self) -> ssl.SSLContext:
        """Trusts the throwaway CA and presents the system:masters client certificate."""
        context = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        context.load_cert_chain(str(self.pki.client_cert), str(self.pki.client_key))
        return context

    def client(self, timeout_s: float = 30.0) -> httpx.Client:
        """A new admin HTTP client on the API (the caller closes it)."""
        return httpx.Client(base_url=self.url, verify=self.ssl_context(), timeout=timeout_s)

    @property
    def http(self) -> httpx.Client:
        """A shared admin HTTP client on the API, closed by `stop()`."""
        if self._http is None:
            self._http = self.client()
        return self._http

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout_s: float = 60
    ) -> subprocess.CompletedProcess[str]:
        if self._binaries is None:
            raise KubeApiServerError("the API server is not started")
        command = [str(self._binaries.kubectl), f"--kubeconfig={self.kubeconfig}", *args]
        done = subprocess.run(
            command, input=stdin, capture_output=True, text=True, timeout=timeout_s, check=False
        )
        if check and done.returncode != 0:
            raise KubeApiServerError(
                f"kubectl {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}"
            )
        return done

    def pids(self) -> list[int]:
        """Process ids of etcd and kube-apiserver while they run."""
        return [p.pid for p in (self._etcd, self._apiserver) if p is not None and not p.exited()]

    # -- internals ----------------------------------------------------------------------------

    def _folder(self) -> Path:
        if self._workdir is None:
            raise KubeApiServerError("the API server is not started")
        return self._workdir

    def _start_etcd(self, etcd: Path, workdir: Path) -> str:
        client_url = f"http://127.0.0.1:{free_port()}"
        peer_url = f"http://127.0.0.1:{free_port()}"
        self._etcd = ManagedProcess(
            "etcd",
            [
                str(etcd),
                "--name=default",
                f"--data-dir={workdir / 'etcd'}",
                f"--listen-client-urls={client_url}",
                f"--advertise-client-urls={client_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=default={peer_url}",
                "--initial-cluster-state=new",
                # Throwaway data: durability buys nothing and fsync is the slow part.
                "--unsafe-no-fsync=true",
                "--log-level=warn",
            ],
            workdir / "etcd.log",
        )
        self._wait_ready(self._etcd, f"{client_url}/health", verify=False)
        return client_url

    def _start_apiserver(self, apiserver: Path, workdir: Path, etcd_url: str) -> None:
        pki = self.pki
        port = free_port()
        self.url = f"https://{self._address}:{port}"
        if self._with_nodes:
            node_flags = [
                "--authorization-mode=Node,RBAC",
                "--enable-admission-plugins=NodeRestriction",
                # logs, exec and port-forward: the apiserver calls the kubelet as an admin.
                f"--kubelet-client-certificate={pki.client_cert}",
                f"--kubelet-client-key={pki.client_key}",
                # The node's name is no DNS name: reach kubelets by their address.
                "--kubelet-preferred-address-types=InternalIP,Hostname",
                *self._aggregation_flags(workdir),
            ]
        else:
            node_flags = [
                "--authorization-mode=RBAC",
                # The `kubernetes` Service's endpoint reconciler refuses a loopback address,
                # and nothing in a node-less API would use that Service anyway.
                "--endpoint-reconciler-type=none",
                # No controller-manager runs, so nothing would create the tokens it waits for.
                "--disable-admission-plugins=ServiceAccount",
            ]
        self._apiserver = ManagedProcess(
            "kube-apiserver",
            [
                str(apiserver),
                f"--etcd-servers={etcd_url}",
                f"--tls-cert-file={pki.serving_cert}",
                f"--tls-private-key-file={pki.serving_key}",
                f"--client-ca-file={pki.ca_cert}",
                f"--service-account-issuer={self.url}/",
                f"--service-account-key-file={pki.sa_public_key}",
                f"--service-account-signing-key-file={pki.sa_private_key}",
                f"--secure-port={port}",
                f"--bind-address={self._address}",
                f"--advertise-address={self._address}",
                f"--service-cluster-ip-range={self._service_cidr}",
                *node_flags,
                "--allow-privileged=true",
                *self._extra_flags,
            ],
            workdir / "kube-apiserver.log",
        )
        self._wait_ready(self._apiserver, f"{self.url}/readyz", verify=self.ssl_context())

    def _aggregation_flags(self, workdir: Path) -> list[str]:
        """The aggregation layer: the API server proxies an APIService's group (KEDA's
        external.metrics.k8s.io, for the HPA controller) to the Service behind it, presenting
        the front-proxy client certificate and the caller's identity in X-Remote-* headers,
        which the extension server trusts from that certificate's CN alone."""
        cert, key = issue_client_cert(self.pki, workdir / "pki", "front-proxy-client", FRONT_PROXY)
        return [
            f"--requestheader-client-ca-file={self.pki.ca_cert}",
            f"--requestheader-allowed-names={FRONT_PROXY}",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={cert}",
            f"--proxy-client-key-file={key}",
        ]

    def _wait_ready(self, process: ManagedProcess, url: str, verify: ssl.SSLContext | bool) -> None:
        deadline = time.monotonic() + self._timeout
        last = "no answer yet"
        with httpx.Client(verify=verify, timeout=2.0) as http:
            while time.monotonic() < deadline:
                if process.exited():
                    raise KubeApiServerError(self._report(f"{process.name} exited early", last))
                try:
                    answer = http.get(url)
                    if answer.status_code == 200:
                        return
                    last = f"HTTP {answer.status_code}: {answer.text[-500:]}"
                except httpx.HTTPError as exc:
                    last = repr(exc)
                time.sleep(0.25)
        raise KubeApiServerError(
            self._report(f"{process.name} not ready within {self._timeout:.0f}s", last)
        )

    def _report(self, what: str, last: str) -> str:
        tails = [p.log_tail() for p in (self._etcd, self._apiserver) if p is not None]
        return "\n".join([f"{what}; last readiness answer: {last}", *tails])

    def _write_kubeconfig(self) -> None:
        def b64(path: Path) -> str:
            return base64.b64encode(path.read_bytes()).decode()

        pki = self.pki
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": CONTEXT,
                    "cluster": {
                        "server": self.url,
                        "certificate-authority-data": b64(pki.ca_cert),
                    },
                }
            ],
            "users": [
                {
                    "name": ADMIN_USER,
                    "user": {
                        "client-certificate-data": b64(pki.client_cert),
                        "client-key-data": b64(pki.client_key),
                    },
                }
            ],
            "contexts": [
                {
                    "name": CONTEXT,
                    "context": {"cluster": CONTEXT, "user": ADMIN_USER, "namespace": "default"},
                }
            ],
            "current-context": CONTEXT,
            "preferences": {},
        }
        # JSON is YAML: every kubeconfig reader takes it, and no YAML writer is needed.
        self.kubeconfig.touch(mode=0o600)
        self.kubeconfig.write_text(json.dumps(config, indent=2) + "\n")

    def _stop_processes(self) -> None:
        # The apiserver first, so it never sees etcd vanish under it.
        for process in (self._apiserver, self._etcd):
            if process is not None:
                process.stop()
        self._apiserver = self._etcd = None


def main() -> int:
    return serve_in_foreground(
        KubeApiServer(),
        lambda kube: [
            f"kube-apiserver {kube.url} ready in {kube.started_in_s:.1f}s (Ctrl-C stops it)",
            f"export KUBECONFIG={kube.kubeconfig}",
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
