"""kubeconform schemas made from a live kube-apiserver's /openapi/v2, instead of downloading
them: one standalone, strict JSON schema file per kind, in the layout

    <dir>/<group or "v1" for core>/<version>/<kind lowercased>.json

which kubeconform finds with `-schema-location '<dir>/{{ .Group }}/{{ .ResourceAPIVersion }}/
{{ .ResourceKind }}.json'`. Strict means what kubeconform's own "-strict" schemas mean: an
object that lists its properties accepts no others. Custom resources are included once their
CRDs exist in that apiserver, because it publishes their structural schemas too.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

JsonObject = dict[str, Any]
SCHEMA_LOCATION = "{{ .Group }}/{{ .ResourceAPIVersion }}/{{ .ResourceKind }}.json"

# OpenAPI v2 cannot say "string or integer": these two are both in manifests.
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
OVERRIDES: dict[str, JsonObject] = {
    INT_OR_STRING: {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    QUANTITY: {"oneOf": [{"type": "string"}, {"type": "number"}]},
}
REF_PREFIX = "#/definitions/"


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            yield ref.removeprefix(REF_PREFIX)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _strict(node: Any) -> Any:
    """Copy of `node` where every object with listed properties refuses unlisted ones."""
    if isinstance(node, list):
        return [_strict(value) for value in node]
    if not isinstance(node, dict):
        return node
    out = {key: _strict(value) for key, value in node.items()}
    open_ended = node.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in out and "additionalProperties" not in out and not open_ended:
        out["additionalProperties"] = False
    return out


def _closure(definitions: JsonObject, root: str) -> JsonObject:
    """The definitions reachable from `root` (itself included), strict and patched."""
    seen: dict[str, JsonObject] = {}
    pending = [root]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        if name in OVERRIDES:
            seen[name] = copy.deepcopy(OVERRIDES[name])
            continue
        definition = definitions.get(name)
        if definition is None:
            raise KeyError(f"/openapi/v2 refers to a missing definition {name}")
        seen[name] = _strict(definition)
        pending.extend(_refs(definition))
    return seen


def schema_files(openapi: JsonObject) -> dict[Path, JsonObject]:
    """Relative path -> standalone schema, for every kind the document defines."""
    definitions: JsonObject = openapi["definitions"]
    files: dict[Path, JsonObject] = {}
    for name, definition in definitions.items():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            group, version, kind = gvk.get("group", ""), gvk["version"], gvk["kind"]
            path = Path(group or version, version, f"{kind.lower()}.json")
            api_version = f"{group}/{version}" if group else version
            files[path] = {
                "$schema": "http://json-schema.org/draft-07/schema#",
                # allOf, not a sibling of $ref: draft 7 ignores keywords beside a $ref.
                "allOf": [
                    {"$ref": REF_PREFIX + name},
                    # Pinned, so a document cannot borrow another kind's schema.
                    {
                        "properties": {
                            "apiVersion": {"enum": [api_version]},
                            "kind": {"enum": [kind]},
                        },
                        "required": ["apiVersion", "kind"],
                    },
                ],
                "definitions": _closure(definitions, name),
            }
    return files


def write_schemas(openapi: JsonObject, folder: Path) -> list[Path]:
    written = []
    for relative, schema in schema_files(openapi).items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(schema))
        written.append(target)
    return written
