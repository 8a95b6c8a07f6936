"""Fixtures of the cluster end-to-end tests: one real single-node cluster per session
(tests/support/kube_cluster.py), the project's images loaded into it, and Duka installed.

Test modules run in file-name order (test_1_*, test_2_*, ...): later ones change the release
(upgrade, rollback, scale-out) and each leaves it healthy for the next.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator

import pytest

from tests.e2e.cluster.stack import Images, Stack
from tests.support.kube_cluster import KubeCluster
from tests.support.kube_images import project_image


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@pytest.fixture(scope="session")
def cluster() -> Iterator[KubeCluster]:
    # A CI timeout or `kill` sends SIGTERM: tear the cluster down as Ctrl-C would.
    signal.signal(signal.SIGTERM, _interrupt)
    with KubeCluster() as started:
        print(f"cluster ready in {started.started_in_s:.0f}s", file=sys.stderr)
        yield started


@pytest.fixture(scope="session")
def images(cluster: KubeCluster) -> Images:
    """Built by deploy/image/build.py (cached), loaded into the cluster's containerd."""
    built = Images(
        duka=project_image("duka"),
        keycloak=project_image("keycloak"),
        postgres=project_image("postgres"),
        prefect=project_image("prefect"),
        sandbox=project_image("sandbox"),
    )
    # values.yaml names the sandbox sidecar's image as recipes builds it (a unit test checks).
    for ref in (built.duka, built.keycloak, built.postgres, built.prefect, built.sandbox):
        cluster.load_image(ref)
    return built


@pytest.fixture(scope="session")
def stack(cluster: KubeCluster, images: Images) -> Stack:
    """devstack by helm, then the duka release by deploy/cd/deploy.sh (CD's own script)."""
    installed = Stack(cluster, images)
    installed.install_devstack()
    first = installed.deploy()
    assert first.returncode == 0, (
        f"deploy.sh: {first.stdout[-4000:]}\n{first.stderr[-4000:]}\n{installed.dump_on_failure()}"
    )
    return installed
