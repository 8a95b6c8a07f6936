"""The wheel (what the image installs) carries the product only: no dev tooling (the local
stack, the local Keycloak, the Africa's Talking sandbox), which lives in devtools/."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.integration.deploy.deploy_support import ROOT, run, uv

# Top-level names dev tooling has had: devtools/ now, and where it lived before.
DEV_TOPS = {"devtools", "at_sandbox"}
DEV_MODULES = ("api/dev.py", "api/devstack/", "flows/devstack.py", "flows/prefect_server.py")


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("wheel")
    run([uv(), "build", "--wheel", "--out-dir", out, "--quiet"], cwd=ROOT, timeout_s=600)
    [wheel] = list(Path(out).glob("duka-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_wheel_holds_the_product_packages(wheel_names: list[str]) -> None:
    tops = {name.split("/")[0] for name in wheel_names}
    assert {"duka", "api", "flows", "duka_operator"} <= tops


def test_the_wheel_holds_no_dev_module(wheel_names: list[str]) -> None:
    tops = {name.split("/")[0] for name in wheel_names}
    assert not tops & DEV_TOPS
    assert not [name for name in wheel_names if name.startswith(DEV_MODULES)]
