"""The AT sandbox's image (deploy/image/containerfiles/sandbox.Containerfile): dev tooling on
top of the product image, which itself holds none; the e2e values name it as it is built."""

from __future__ import annotations

import re
import tomllib

from tests.unit.deploy.deploy_files import ROOT, dockerfile_instructions, load_yaml

CONTAINERFILE = ROOT / "deploy" / "image" / "containerfiles" / "sandbox.Containerfile"


def test_it_copies_the_sandbox_package_only() -> None:
    instructions = dockerfile_instructions(CONTAINERFILE.read_text())
    copies = [i.value.split() for i in instructions if i.keyword == "COPY"]
    assert copies == [
        ["devtools/__init__.py", "/opt/duka/devtools/__init__.py"],
        ["devtools/at_sandbox", "/opt/duka/devtools/at_sandbox"],
    ]
    for source, _ in copies:
        assert (ROOT / source).exists(), source
    (cmd,) = [i for i in instructions if i.keyword == "CMD"]
    assert cmd.exec_form()[:3] == ["python", "-m", "devtools.at_sandbox"]


def test_its_sources_are_in_the_build_context() -> None:
    allowed = {
        line.removeprefix("!").rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    assert {"devtools/__init__.py", "devtools/at_sandbox"} <= allowed


def test_the_e2e_values_name_the_image_the_recipe_builds() -> None:
    recipes = (ROOT / "deploy" / "image" / "recipes.py").read_text()
    assert re.search(r'"sandbox": \("localhost/duka-sandbox", project_version\)', recipes)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    values = load_yaml(ROOT / "tests" / "e2e" / "cluster" / "values.yaml")
    images = {c["name"]: c.get("image") for c in values["flows"]["extraContainers"]}
    assert images["at-sandbox"] == f"localhost/duka-sandbox:{version}"
