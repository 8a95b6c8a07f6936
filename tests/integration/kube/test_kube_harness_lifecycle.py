"""The harness itself: it fails loudly with the server's own words, and leaves nothing behind."""

from __future__ import annotations

import os

import pytest

from tests.support.kube_apiserver import KubeApiServer, KubeApiServerError
from tests.support.kube_tools import find_binaries


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); its /proc status says it is gone.
    with open(f"/proc/{pid}/status") as status:
        return not any(line.startswith("State:\tZ") for line in status)


def test_a_stopped_server_leaves_no_process_or_folder() -> None:
    server = KubeApiServer(find_binaries()).start()
    workdir = server.kubeconfig.parent
    pids = server.pids()
    assert len(pids) == 2
    assert all(_alive(pid) for pid in pids)

    server.stop()

    assert not workdir.exists()
    assert not any(_alive(pid) for pid in pids)


def test_an_apiserver_that_cannot_start_is_reported_with_its_log() -> None:
    server = KubeApiServer(find_binaries(), extra_apiserver_flags=("--no-such-flag=1",))
    with pytest.raises(KubeApiServerError, match="kube-apiserver exited early") as failure:
        server.start()
    # The message carries the apiserver's own complaint, so a CI log says what went wrong.
    assert "no-such-flag" in str(failure.value)
    assert server.pids() == []
    server.stop()
