"""Write the schema's SDL to api/graphql/schema.graphql: `python -m api.graphql.export_schema`.

tests/unit/api/graphql/test_schema_file.py fails while the file differs from the code.
"""

from __future__ import annotations

from pathlib import Path

from api.graphql.schema import sdl

SCHEMA_FILE = Path(__file__).with_name("schema.graphql")


def main() -> None:
    SCHEMA_FILE.write_text(sdl())
    print(f"wrote {SCHEMA_FILE}")


if __name__ == "__main__":
    main()
