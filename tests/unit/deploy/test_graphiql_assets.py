"""deploy/graphiql: the pinned bundles GraphiQL's page loads, how they are copied next to
the API, when a fetch is skipped, and that the image and the wheel carry them."""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from api.graphiql.router import VENDOR_FILES
from tests.unit.deploy.deploy_files import ROOT, dockerfile_instructions

HERE = ROOT / "deploy" / "graphiql"


@pytest.fixture(scope="module")
def fetch() -> ModuleType:
    spec = importlib.util.spec_from_file_location("graphiql_fetch", HERE / "fetch.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_file_the_page_loads_is_fetched(fetch: ModuleType) -> None:
    assert sorted(fetch.BUNDLES.values()) == sorted(VENDOR_FILES)


def test_versions_are_pinned_exactly_and_locked_with_integrity_hashes() -> None:
    wanted = json.loads((HERE / "package.json").read_text())["dependencies"]
    lock = json.loads((HERE / "package-lock.json").read_text())
    assert lock["packages"][""]["dependencies"] == wanted
    for name, version in wanted.items():
        assert version[0].isdigit(), f"{name} is not pinned: {version}"
        entry = lock["packages"][f"node_modules/{name}"]
        assert entry["version"] == version
        assert entry["integrity"].startswith("sha512-")
    assert wanted["graphiql"].startswith("3.")  # the last line with UMD bundles


def test_a_copy_is_stamped_and_then_up_to_date(
    fetch: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modules = tmp_path / "node_modules"
    for source in fetch.BUNDLES:
        (modules / source).parent.mkdir(parents=True, exist_ok=True)
        (modules / source).write_text(f"// {source}")
    (modules / "react" / "LICENSE").write_text("MIT")
    vendor = tmp_path / "vendor"
    assert not fetch.up_to_date(vendor)
    fetch._copy(modules, vendor)
    assert fetch.up_to_date(vendor)
    assert (vendor / "graphiql.min.js").read_text() == "// graphiql/graphiql.min.js"
    assert (vendor / "react.LICENSE.txt").read_text() == "MIT"
    (vendor / "graphiql.min.css").unlink()
    assert not fetch.up_to_date(vendor)
    (vendor / fetch.STAMP).write_text("another lock\n")
    assert not fetch.up_to_date(vendor)


def test_a_missing_bundle_fails_the_copy(fetch: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(fetch.FetchError, match=r"graphiql\.min\.js"):
        fetch._copy(tmp_path / "node_modules", tmp_path / "vendor")


def test_without_npm_the_error_says_what_to_install(
    fetch: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "ROOT", tmp_path)  # no project environment there
    monkeypatch.setattr(fetch.shutil, "which", lambda name: None)
    with pytest.raises(fetch.FetchError, match="npm is missing: run `make sync`"):
        fetch._npm_ci(tmp_path)


def test_the_project_environments_npm_comes_first(
    fetch: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "ROOT", tmp_path)
    monkeypatch.setattr(fetch.shutil, "which", lambda name: "/usr/bin/npm")
    assert fetch.find_npm() == "/usr/bin/npm"
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "npm").write_text("")
    assert fetch.find_npm() == str(tmp_path / ".venv" / "bin" / "npm")


def test_the_image_and_the_wheel_carry_the_git_ignored_bundles() -> None:
    assert "api/graphiql/vendor/" in (ROOT / ".gitignore").read_text().splitlines()
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    assert "api/graphiql/vendor/*" in wheel["targets"]["wheel"]["artifacts"]
    runs = [
        i.value
        for i in dockerfile_instructions((ROOT / "Dockerfile").read_text())
        if i.stage == 0 and i.keyword == "RUN"
    ]
    assert any("api/graphiql/vendor/graphiql.min.js" in run for run in runs)
    recipe = (ROOT / "deploy" / "image" / "recipes.py").read_text()
    assert '"deploy" / "graphiql" / "fetch.py"' in recipe
