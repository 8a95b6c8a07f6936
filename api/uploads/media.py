"""Content negotiation for uploads: which bytes hold the rows, and in which format.

The JSON-only media-type gate exempts the upload routes, so this is where anything that
is not CSV, JSON or a multipart form gets its 415.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from python_multipart.multipart import parse_options_header

from duka.core.errors import UnsupportedMediaTypeError
from duka.uploads.upload import Upload, UploadFormat

MULTIPART = "multipart/form-data"
CSV_TYPES = frozenset({"text/csv", "application/csv"})
ACCEPTED = "text/csv, application/json or multipart/form-data (with a `file` field)"


def media_type(header: str | None) -> tuple[str, dict[str, str]]:
    """`text/csv; charset=utf-8` -> ("text/csv", {"charset": "utf-8"})."""
    kind, options = parse_options_header(header or "")
    params = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in options.items()}
    return kind.decode("latin-1").strip(), params


def format_of(kind: str) -> UploadFormat | None:
    if kind in CSV_TYPES:
        return UploadFormat.CSV
    if kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json")):
        return UploadFormat.JSON
    return None


def check_charset(params: dict[str, str]) -> None:
    charset = params.get("charset")
    if charset is not None and charset.strip().lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaTypeError(f"Send UTF-8 text (got charset={charset}).")


def body_upload(content_type: str | None, chunks: AsyncIterator[bytes]) -> Upload:
    """A request body that is itself the CSV or the JSON array."""
    kind, params = media_type(content_type)
    upload_format = format_of(kind)
    if upload_format is None:
        raise UnsupportedMediaTypeError(f"Send {ACCEPTED} (got {kind or 'none'}).")
    check_charset(params)
    return Upload(upload_format, "body", chunks)


def boundary_of(content_type: str | None) -> str | None:
    """The multipart boundary when the body is a form; None when it is not a form."""
    kind, params = media_type(content_type)
    if kind != MULTIPART:
        return None
    boundary = params.get("boundary")
    if not boundary:
        raise UnsupportedMediaTypeError("A multipart/form-data body needs a boundary parameter.")
    return boundary
