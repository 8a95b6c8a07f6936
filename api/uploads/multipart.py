"""A multipart/form-data upload, streamed: the `file` part's bytes go on as they arrive.

Starlette's form parsing would spool the whole file to a temporary file first; this
drives python-multipart's streaming parser directly and keeps nothing but the part
being read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import PurePosixPath

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from api.uploads.media import check_charset, format_of, media_type
from duka.core.errors import FieldError, UnsupportedMediaTypeError, ValidationFailedError
from duka.uploads.upload import Upload, UploadFormat

FILE_FIELD = "file"
# Browsers label .csv files with these too; an unlabelled part is judged by its name.
_CSV_PART_TYPES = frozenset({"application/vnd.ms-excel", "text/comma-separated-values"})
_UNLABELLED = frozenset({"", "application/octet-stream", "text/plain"})
_EXTENSIONS = {".csv": UploadFormat.CSV, ".json": UploadFormat.JSON}


def _form_problem(detail: str, field: str, message: str, code: str) -> ValidationFailedError:
    return ValidationFailedError(detail, [FieldError(field=field, message=message, code=code)])


def part_format(content_type: str | None, filename: str | None) -> UploadFormat:
    kind, params = media_type(content_type)
    check_charset(params)
    found = UploadFormat.CSV if kind in _CSV_PART_TYPES else format_of(kind)
    if found is None and kind in _UNLABELLED and filename:
        found = _EXTENSIONS.get(PurePosixPath(filename).suffix.lower())
    if found is None:
        named = f", named {filename}" if filename else ""
        raise UnsupportedMediaTypeError(
            f"The file must be CSV or JSON (got {kind or 'no type'}{named})."
        )
    return found


class FilePart:
    """python-multipart callbacks that keep the one `file` part and refuse anything else."""

    def __init__(self, boundary: str) -> None:
        self.format: UploadFormat | None = None
        self.ended = False
        self._data: list[bytes] = []
        self._in_file = False
        self._name = bytearray()
        self._value = bytearray()
        self._headers: dict[str, str] = {}
        try:
            self._parser = MultipartParser(
                boundary.encode("latin-1"),
                callbacks={
                    "on_part_begin": self._headers.clear,
                    "on_header_field": self._on_name,
                    "on_header_value": self._on_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                    "on_part_data": self._on_data,
                    "on_part_end": self._on_part_end,
                    "on_end": self._on_end,
                },
            )
        except (FormParserError, UnicodeEncodeError) as exc:
            raise UnsupportedMediaTypeError("The multipart boundary is not usable.") from exc

    def write(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            raise _form_problem(
                "The multipart body is malformed; nothing was stored.",
                "body",
                f"malformed multipart/form-data: {exc}",
                "malformed",
            ) from exc

    def take(self) -> bytes:
        data = b"".join(self._data)
        self._data.clear()
        return data

    def finish(self) -> None:
        if self.format is None:
            raise _form_problem(
                "The form has no file; nothing was stored.",
                FILE_FIELD,
                "send the rows as a file in the form field `file`",
                "missing",
            )
        if not self.ended:
            raise _form_problem(
                "The multipart body is malformed; nothing was stored.",
                "body",
                "the multipart body ends before its closing boundary",
                "malformed",
            )

    def _on_name(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _on_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        name = self._name.decode("latin-1").strip().lower()
        self._headers[name] = self._value.decode("latin-1").strip()
        self._name.clear()
        self._value.clear()

    def _on_headers_finished(self) -> None:
        _, disposition = parse_options_header(self._headers.get("content-disposition"))
        name = disposition.get(b"name", b"").decode("latin-1")
        if name != FILE_FIELD:
            raise _form_problem(
                "The form has an unexpected field; nothing was stored.",
                name or "(unnamed part)",
                "unexpected form field; send the rows in the field `file` only",
                "unknown_field",
            )
        if self.format is not None:
            raise _form_problem(
                "The form has more than one file; nothing was stored.",
                FILE_FIELD,
                "send one file per upload",
                "duplicate_field",
            )
        filename = disposition.get(b"filename")
        self.format = part_format(
            self._headers.get("content-type"),
            filename.decode("latin-1") if filename is not None else None,
        )
        self._in_file = True

    def _on_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._data.append(data[start:end])

    def _on_part_end(self) -> None:
        self._in_file = False

    def _on_end(self) -> None:
        self.ended = True


async def open_multipart(stream: AsyncIterator[bytes], boundary: str) -> Upload:
    """Read up to the file part's headers (to learn its format); stream the rest lazily."""
    part = FilePart(boundary)
    source = aiter(stream)
    async for chunk in source:
        part.write(chunk)
        if part.format is not None:
            break
    if part.format is None:
        part.finish()
    assert part.format is not None

    async def chunks() -> AsyncIterator[bytes]:
        first = part.take()
        if first:
            yield first
        async for chunk in source:
            part.write(chunk)
            data = part.take()
            if data:
                yield data
        part.finish()

    return Upload(part.format, FILE_FIELD, chunks())
