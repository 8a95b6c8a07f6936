"""A real single-node Kubernetes cluster on this machine, for tests/e2e/cluster and by hand.

The control plane is `KubeApiServer(with_nodes=True)` (etcd + kube-apiserver on the node's own
address, so pods reach it through the `kubernetes` Service), plus kube-controller-manager and
kube-scheduler on 127.0.0.1. The node is containerd (Debian's 1.6, runc, CNI bridge), the
kubelet (cgroupfs, cgroup v1 allowed), kube-proxy (iptables) and CoreDNS as a pod. All the
Kubernetes binaries come from one `go build` (deploy/tools); every image is built here
(tests/support/kube_images.py). Root is required (network namespaces, cgroups, iptables).

    with KubeCluster() as cluster:
        cluster.load_image("localhost/duka:0.1.0")
        cluster.helm("install", ...)
        cluster.kubectl("get", "pods", "-A")

`python -m tests.support.kube_cluster` runs one in the foreground until Ctrl-C.
docs/kubernetes-testing.md, "A whole cluster", explains each choice.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

from tests.support import kube_node_config as cfg
from tests.support.kube_apiserver import KubeApiServer
from tests.support.kube_images import ContainerdImages, scratch_image
from tests.support.kube_pki import issue_client_cert
from tests.support.kube_process import ManagedProcess, free_port, serve_in_foreground
from tests.support.kube_tools import KubeBinaries, ensure_tools, tool_path

NODE_TOOLS = (
    "etcd",
    "kube-apiserver",
    "kubectl",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
    "coredns",
    "pause",
    "helm",
)


class KubeClusterError(RuntimeError):
    pass


def node_address() -> str:
    """The address of the interface the default route leaves by (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("198.51.100.1", 9))  # TEST-NET-2: routed by default, never sent
        address: str = sock.getsockname()[0]
    if address.startswith("127."):
        raise KubeClusterError("no non-loopback address: pods could not reach the API server")
    return address


def cache_dir() -> Path:
    """Kept between runs: containerd's root (the imported images) and the load marks."""
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "duka" / "cluster"


class KubeCluster:
    def __init__(self, *, start_timeout_s: float = 300.0) -> None:
        self._timeout = start_timeout_s
        self._api: KubeApiServer | None = None
        self._procs: dict[str, ManagedProcess] = {}
        self._lock: IO[str] | None = None
        self._netns_before: set[str] = set()
        self._layout: cfg.NodeLayout | None = None
        self.node_ip = ""
        self.started_in_s = 0.0
        self.images: ContainerdImages | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> KubeCluster:
        if os.geteuid() != 0:
            raise KubeClusterError("a cluster node needs root (namespaces, cgroups, iptables)")
        ensure_tools(NODE_TOOLS)
        started = time.monotonic()
        self._take_lock()
        self._netns_before = _netns_names()
        self.node_ip = node_address()
        binaries = KubeBinaries(
            etcd=tool_path("etcd"),
            kube_apiserver=tool_path("kube-apiserver"),
            kubectl=tool_path("kubectl"),
        )
        self._api = KubeApiServer(
            binaries,
            address=self.node_ip,
            service_cidr=cfg.SERVICE_CIDR,
            with_nodes=True,
            start_timeout_s=self._timeout,
        )
        try:
            self._api.start()
            self._start_control_plane()
            self._start_node()
            self._start_dns()
        except BaseException:
            self._stop_everything(keep_workdir=True)
            raise
        self.started_in_s = time.monotonic() - started
        return self

    def stop(self) -> None:
        self._stop_everything(keep_workdir=False)

    def __enter__(self) -> KubeCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what tests use -----------------------------------------------------------------------

    @property
    def api(self) -> KubeApiServer:
        if self._api is None:
            raise KubeClusterError("the cluster is not started")
        return self._api

    @property
    def kubeconfig(self) -> Path:
        return self.api.kubeconfig

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout_s: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return self.api.kubectl(*args, stdin=stdin, check=check, timeout_s=timeout_s)

    def kubectl_json(self, *args: str) -> dict[str, object]:
        found: dict[str, object] = json.loads(self.kubectl(*args, "-o", "json").stdout)
        return found

    def env(self) -> dict[str, str]:
        """Environment for helm, kubectl and scripts run against this cluster."""
        return {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "PATH": f"{self.bin_dir()}:{os.environ.get('PATH', '')}",
            "HELM_CACHE_HOME": str(self.api.workdir / "helm" / "cache"),
            "HELM_CONFIG_HOME": str(self.api.workdir / "helm" / "config"),
            "HELM_DATA_HOME": str(self.api.workdir / "helm" / "data"),
        }

    def bin_dir(self) -> Path:
        """A folder with `kubectl` and `helm` by their plain names (scripts call them so)."""
        folder = self.api.workdir / "bin"
        if not folder.is_dir():
            folder.mkdir()
            for name in ("kubectl", "helm"):
                (folder / name).symlink_to(tool_path(name))
        return folder

    def helm(
        self, *args: str, check: bool = True, timeout_s: float = 900
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(tool_path("helm")), *args],
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=timeout_s,
            check=False,
        )
        if check and done.returncode != 0:
            raise KubeClusterError(
                f"helm {' '.join(args)} exited {done.returncode}:\n{done.stdout[-3000:]}"
                f"\n{done.stderr[-3000:]}"
            )
        return done

    def load_image(self, ref: str) -> bool:
        if self.images is None:
            raise KubeClusterError("the cluster is not started")
        return self.images.load(ref)

    def logs_dir(self) -> Path:
        return self.api.workdir

    # -- control plane ------------------------------------------------------------------------

    def _start_control_plane(self) -> None:
        api = self.api
        pki = api.pki
        workdir = api.workdir
        # Both run as the admin identity: fewer moving parts than one certificate each, and
        # the controllers still act through their own service accounts (see the flag below).
        cm_port = free_port()
        self._spawn(
            "kube-controller-manager",
            [
                f"--kubeconfig={api.kubeconfig}",
                f"--authentication-kubeconfig={api.kubeconfig}",
                f"--authorization-kubeconfig={api.kubeconfig}",
                "--bind-address=127.0.0.1",
                f"--secure-port={cm_port}",
                "--leader-elect=false",
                "--use-service-account-credentials=true",
                f"--service-account-private-key-file={pki.sa_private_key}",
                f"--root-ca-file={pki.ca_cert}",
                f"--cluster-signing-cert-file={pki.ca_cert}",
                f"--cluster-signing-key-file={pki.ca_key}",
                f"--service-cluster-ip-range={cfg.SERVICE_CIDR}",
                "--node-monitor-grace-period=40s",
            ],
            workdir,
        )
        sched_port = free_port()
        self._spawn(
            "kube-scheduler",
            [
                f"--kubeconfig={api.kubeconfig}",
                f"--authentication-kubeconfig={api.kubeconfig}",
                f"--authorization-kubeconfig={api.kubeconfig}",
                "--bind-address=127.0.0.1",
                f"--secure-port={sched_port}",
                "--leader-elect=false",
            ],
            workdir,
        )
        self._wait_http("kube-controller-manager", f"https://127.0.0.1:{cm_port}/healthz")
        self._wait_http("kube-scheduler", f"https://127.0.0.1:{sched_port}/healthz")

    # -- node ---------------------------------------------------------------------------------

    def _start_node(self) -> None:
        api = self.api
        workdir = api.workdir
        pki = api.pki
        runc = shutil.which("runc")
        if runc is None or shutil.which("containerd") is None:
            raise KubeClusterError("containerd and runc are needed (Debian: containerd runc)")
        pause = scratch_image(
            f"localhost/duka-pause:{tool_path('pause').name.removeprefix('pause-')}",
            "pause",
            tool_path("pause"),
        )
        # One fixed place (one cluster per machine): containerd's state and socket. A run that
        # was killed outright left its shims' state here, and the next containerd finds them
        # and lets the start-up clean-up kill them. Short, because unix socket paths must be.
        short = Path("/run/duka-cluster")
        short.mkdir(parents=True, exist_ok=True)
        (workdir / "run-dir").write_text(str(short))
        layout = cfg.NodeLayout(
            node_ip=self.node_ip,
            ca_cert=pki.ca_cert,
            containerd_root=cache_dir() / "containerd",
            containerd_state=short / "state",
            containerd_socket=short / "containerd.sock",
            cni_conf_dir=workdir / "cni",
            cni_ipam_dir=workdir / "cni-ipam",
            sandbox_image=pause,
            runc=Path(runc),
            kubelet_port=free_port(),
            kubelet_healthz_port=free_port(),
            resolv_conf=workdir / "resolv.conf",
            proxy_kubeconfig=api.kubeconfig,
            proxy_healthz_port=free_port(),
            proxy_metrics_port=free_port(),
        )
        self._layout = layout
        layout.cni_conf_dir.mkdir()
        (layout.cni_conf_dir / "10-duka.conflist").write_text(cfg.cni_conflist(layout))
        # Pods resolve cluster names only: no upstream DNS is reachable from here.
        layout.resolv_conf.write_text("# no upstream resolver in the test cluster\n")
        (workdir / "containerd.toml").write_text(cfg.containerd_config(layout))
        self._start_containerd(workdir)
        if self._remove_leftover_containers():
            # The CRI plugin loaded those at its start: restart it so it forgets them.
            self._procs.pop("containerd").stop()
            self._start_containerd(workdir)
        self.images = ContainerdImages(layout.containerd_socket, cache_dir() / "loaded")
        self.images.load(pause)

        kubelet_cert, kubelet_key = issue_client_cert(
            pki, pki.ca_cert.parent, "kubelet", f"system:node:{cfg.NODE_NAME}", "system:nodes"
        )
        kubelet_kubeconfig = workdir / "kubelet.kubeconfig"
        _write_kubeconfig(kubelet_kubeconfig, api.url, pki.ca_cert, kubelet_cert, kubelet_key)
        (workdir / "kubelet.json").write_text(cfg.kubelet_config(layout))
        self._spawn(
            "kubelet",
            [
                f"--config={workdir / 'kubelet.json'}",
                f"--kubeconfig={kubelet_kubeconfig}",
                f"--root-dir={workdir / 'kubelet'}",
                f"--cert-dir={workdir / 'kubelet-pki'}",
                f"--hostname-override={cfg.NODE_NAME}",
                f"--node-ip={self.node_ip}",
                "--v=1",
            ],
            workdir,
        )
        (workdir / "kube-proxy.json").write_text(cfg.kube_proxy_config(layout))
        self._spawn("kube-proxy", [f"--config={workdir / 'kube-proxy.json'}"], workdir)
        self._wait(self._node_ready, f"node {cfg.NODE_NAME} Ready")

    def _start_containerd(self, workdir: Path) -> None:
        argv = ["containerd", "--config", str(workdir / "containerd.toml")]
        self._spawn_binary("containerd", argv, workdir)
        self._wait(self._ctr_ok, "containerd answering on its socket")

    def _start_dns(self) -> None:
        coredns = tool_path("coredns")
        image = scratch_image(
            f"localhost/duka-coredns:{coredns.name.removeprefix('coredns-')}", "coredns", coredns
        )
        self.load_image(image)
        self.kubectl("apply", "-f", "-", stdin=cfg.coredns_manifests(image))
        self.kubectl(
            "-n",
            "kube-system",
            "rollout",
            "status",
            "deployment/coredns",
            "--timeout=180s",
            timeout_s=200,
        )

    # -- helpers ------------------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str], workdir: Path) -> None:
        self._spawn_binary(name, [str(tool_path(name)), *args], workdir)

    def _spawn_binary(self, name: str, argv: list[str], workdir: Path) -> None:
        self._procs[name] = ManagedProcess(name, argv, workdir / f"{name}.log")

    def _wait(self, ready: object, what: str) -> None:
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            for proc in self._procs.values():
                if proc.exited():
                    raise KubeClusterError(f"{proc.name} exited early\n{proc.log_tail()}")
            if callable(ready) and ready():
                return
            time.sleep(0.5)
        tails = "\n".join(p.log_tail(20) for p in self._procs.values())
        raise KubeClusterError(f"not ready within {self._timeout:.0f}s: {what}\n{tails}")

    def _wait_http(self, name: str, url: str) -> None:
        def ok() -> bool:
            try:
                return httpx.get(url, verify=False, timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        self._wait(ok, f"{name} {url}")

    def _ctr(self, *args: str) -> subprocess.CompletedProcess[str]:
        layout = self._layout
        if layout is None:
            raise KubeClusterError("no node")
        return subprocess.run(
            ["ctr", "--address", str(layout.containerd_socket), "-n", "k8s.io", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def _ctr_ok(self) -> bool:
        return self._ctr("version").returncode == 0

    def _node_ready(self) -> bool:
        done = self.kubectl("get", "node", cfg.NODE_NAME, "-o", "json", check=False)
        if done.returncode != 0:
            return False
        conditions = json.loads(done.stdout)["status"].get("conditions", [])
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    def _remove_leftover_containers(self) -> int:
        """Containers of an earlier run that was killed outright, so none holds an address;
        returns how many there were."""
        for task in self._ctr("tasks", "list", "--quiet").stdout.split():
            self._ctr("tasks", "kill", "--signal", "SIGKILL", task)
        deadline = time.monotonic() + 30
        while self._ctr("tasks", "list", "--quiet").stdout.split():
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        for task in self._ctr("tasks", "list", "--quiet").stdout.split():
            self._ctr("tasks", "delete", "--force", task)
        containers = self._ctr("containers", "list", "--quiet").stdout.split()
        for container in containers:
            self._ctr("containers", "delete", container)
        return len(containers)

    def _take_lock(self) -> None:
        """One cluster per machine: they would share the bridge, iptables and containerd root."""
        cache_dir().mkdir(parents=True, exist_ok=True)
        handle = (cache_dir() / ".cluster.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise KubeClusterError(
                f"another test cluster is running on this machine ({cache_dir()}/.cluster.lock)"
            ) from None
        self._lock = handle

    def _stop_everything(self, *, keep_workdir: bool) -> None:
        procs = self._procs
        # No controller may replace the pods the kubelet is about to tear down.
        for name in ("kube-controller-manager", "kube-scheduler"):
            if name in procs:
                procs.pop(name).stop()
        if "kubelet" in procs and self._api is not None:
            self._drain_pods()
        if "kubelet" in procs:
            procs.pop("kubelet").stop()
        if self._layout is not None and "containerd" in procs:
            self._remove_leftover_containers()
        if "kube-proxy" in procs:
            procs.pop("kube-proxy").stop()
            if self._api is not None:
                subprocess.run(
                    [str(tool_path("kube-proxy")), "--cleanup"],
                    capture_output=True,
                    timeout=60,
                    check=False,
                )
        for proc in procs.values():
            proc.stop()
        procs.clear()
        _remove_new_netns(self._netns_before)
        if self._api is not None:
            workdir = self._api.workdir
            _unmount_under(workdir)
            run_dir = workdir / "run-dir"
            if run_dir.is_file():
                _unmount_under(Path(run_dir.read_text()))
                shutil.rmtree(run_dir.read_text(), ignore_errors=True)
            if keep_workdir:
                self._api._stop_processes()
            else:
                self._api.stop()
            self._api = None
        _remove_cni_nat_rules()
        _remove_kube_chains()
        subprocess.run(["ip", "link", "delete", cfg.BRIDGE], capture_output=True, check=False)
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _drain_pods(self) -> None:
        """Delete every pod so the kubelet stops each sandbox properly (CNI DEL, netns)."""
        self.kubectl(
            "delete",
            "pods",
            "--all",
            "--all-namespaces",
            "--grace-period=0",
            "--force",
            "--wait=false",
            check=False,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self._ctr("tasks", "list", "--quiet").stdout.split():
            time.sleep(1)


def _write_kubeconfig(path: Path, server: str, ca: Path, cert: Path, key: Path) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "c", "cluster": {"server": server, "certificate-authority": str(ca)}}
        ],
        "users": [{"name": "u", "user": {"client-certificate": str(cert), "client-key": str(key)}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    }
    path.touch(mode=0o600)
    path.write_text(json.dumps(config, indent=2))


def _netns_names() -> set[str]:
    folder = Path("/run/netns")
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _remove_new_netns(before: set[str]) -> None:
    """containerd's CRI names its namespaces cni-*; remove the ones this run left behind."""
    for name in _netns_names() - before:
        if name.startswith("cni-"):
            subprocess.run(["umount", f"/run/netns/{name}"], capture_output=True, check=False)
            Path(f"/run/netns/{name}").unlink(missing_ok=True)


def _unmount_under(folder: Path) -> None:
    """Kubelet volumes (tmpfs for secrets, bind mounts) and containerd's overlay mounts."""
    prefix = str(folder.resolve()) + "/"
    mounts = [
        line.split()[1]
        for line in Path("/proc/self/mounts").read_text().splitlines()
        if line.split()[1].startswith(prefix)
    ]
    for mount in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", mount], capture_output=True, check=False)


def _remove_cni_nat_rules() -> None:
    """The bridge plugin's masquerade rules of pods that were never CNI-deleted."""

    def nat(*args: str) -> str:
        done = subprocess.run(
            ["iptables", "-t", "nat", *args], capture_output=True, text=True, check=False
        )
        return done.stdout

    for line in nat("-S", "POSTROUTING").splitlines():
        if (
            f'name: \\"{cfg.CNI_NETWORK}\\"' not in line
            and f'name: "{cfg.CNI_NETWORK}"' not in line
        ):
            continue
        chain = next((w for w in line.split() if w.startswith("CNI-")), None)
        if chain is None:
            continue
        # The rule is `-A POSTROUTING -s <ip> -m comment ... -j CNI-xxx`: delete by its spec.
        nat("-D", "POSTROUTING", *shlex.split(line)[2:])
        nat("-F", chain)
        nat("-X", chain)


def _remove_kube_chains() -> None:
    """What `kube-proxy --cleanup` leaves: the kubelet's KUBE-FIREWALL (drops outside
    traffic to 127.0.0.0/8), KUBE-KUBELET-CANARY and KUBE-IPTABLES-HINT, in both families.
    Only one test cluster runs per machine (the lock), so every KUBE-* chain is ours."""
    for tool in ("iptables", "ip6tables"):
        for table in ("filter", "nat", "mangle"):
            listing = subprocess.run(
                [tool, "-t", table, "-S"], capture_output=True, text=True, check=False
            ).stdout.splitlines()
            for rule in listing:
                words = shlex.split(rule)
                if (
                    words[:1] == ["-A"]
                    and "-j" in words
                    and words[words.index("-j") + 1].startswith("KUBE-")
                ):
                    subprocess.run(
                        [tool, "-t", table, "-D", *words[1:]], capture_output=True, check=False
                    )
            chains = [r.split()[1] for r in listing if r.startswith("-N KUBE-")]
            for chain in chains:
                subprocess.run([tool, "-t", table, "-F", chain], capture_output=True, check=False)
            for chain in chains:
                subprocess.run([tool, "-t", table, "-X", chain], capture_output=True, check=False)


def main() -> int:
    return serve_in_foreground(
        KubeCluster(),
        lambda cluster: [
            f"cluster on {cluster.node_ip} ready in {cluster.started_in_s:.0f}s (Ctrl-C stops)",
            f"export KUBECONFIG={cluster.kubeconfig}",
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
