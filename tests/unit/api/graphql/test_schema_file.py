"""The committed SDL is the schema: a change to the code's schema must change the file too
(regenerate with `python -m api.graphql.export_schema`), so every change is reviewed."""

from __future__ import annotations

from api.graphql.export_schema import SCHEMA_FILE
from api.graphql.schema import build_schema, sdl
from duka.core.settings import Settings


def test_the_committed_sdl_is_the_codes_schema() -> None:
    assert SCHEMA_FILE.read_text() == sdl(), (
        "api/graphql/schema.graphql is stale: run `python -m api.graphql.export_schema` "
        "and review the diff"
    )


def test_settings_change_no_type() -> None:
    production = build_schema(Settings(environment="production"))
    assert production.as_str() + "\n" == sdl()
