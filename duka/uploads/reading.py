"""Reading an upload: bytes -> UTF-8 text -> records -> validated rows, as the body arrives.

Nothing here touches the database. Every bad row is collected; a fault that stops the
reading (malformed CSV or JSON, bad UTF-8, too many rows) ends it at once.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Sequence
from typing import Any, Protocol

import anyio.lowlevel

from duka.core.errors import FieldError, PayloadTooLargeError, ValidationFailedError
from duka.uploads.columns import Columns, CsvLayout, RawValues, is_blank
from duka.uploads.csv_records import CsvRecords
from duka.uploads.exceptions import MalformedUploadError, RowErrors
from duka.uploads.json_records import JsonArrayRecords
from duka.uploads.upload import Upload, UploadFormat

# Text is parsed in slices of this many bytes, with a turn for other tasks in between: a
# body that arrives in one piece (a fast client, a test) must not hold the event loop.
SLICE_BYTES = 1 << 16


class RowValidator(Protocol):
    columns: Columns

    def add(self, values: RawValues | None, row: int, problems: list[FieldError]) -> None: ...


class _Rows:
    """Numbers the data rows (1-based, after a CSV header), counts and checks them."""

    def __init__(self, validator: RowValidator, errors: RowErrors, max_rows: int) -> None:
        self.validator = validator
        self.errors = errors
        self.max_rows = max_rows
        self.row = 0  # the last data row number given out (blank CSV lines included)
        self.data_rows = 0  # rows that hold data (blank lines excluded)
        self.layout: CsvLayout | None = None

    def csv(self, records: list[list[str]]) -> None:
        for record in records:
            if self.layout is None:
                self.layout = self.validator.columns.csv_layout(record)
                continue
            self.row += 1
            if is_blank(record):
                continue
            self._count()
            values, shape = self.layout.values(record, self.row)
            self._check(values, shape)

    def json(self, elements: list[object]) -> None:
        columns = self.validator.columns
        for element in elements:
            self.row += 1
            self._count()
            values, shape = columns.object_values(element, self.row)
            self._check(values, shape)

    def _count(self) -> None:
        self.data_rows += 1
        if self.data_rows > self.max_rows:
            raise PayloadTooLargeError(
                f"The upload has more than {self.max_rows} rows, the most one upload may "
                "hold; split it into several uploads. Nothing was stored."
            )

    def _check(self, values: RawValues | None, shape: Sequence[FieldError]) -> None:
        problems = list(shape)
        self.validator.add(values, self.row, problems)
        if problems:
            self.errors.add(problems)


class _Reader:
    def __init__(self, upload: Upload, rows: _Rows) -> None:
        self.upload = upload
        self.rows = rows
        self.is_csv = upload.format is UploadFormat.CSV
        self.parser: CsvRecords | JsonArrayRecords = (
            CsvRecords() if self.is_csv else JsonArrayRecords()
        )
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.started = False

    def feed(self, data: bytes, *, final: bool = False) -> None:
        try:
            text = self.decoder.decode(data, final=final)
        except UnicodeDecodeError as exc:
            # Read what came before the bad byte, so that the fault names its own row.
            self._records(exc.object[: exc.start].decode("utf-8"))
            raise self._fatal("is not UTF-8 text", "encoding", self._next_record()) from exc
        if not self.started and text:
            self.started = True
            text = text.removeprefix("\ufeff")  # a byte order mark, as spreadsheets write
        self._records(text)
        if final:
            self._dispatch(self.parser.close())

    def _records(self, text: str) -> None:
        if text:
            self._dispatch(self.parser.feed(text))

    def _dispatch(self, records: list[Any]) -> None:
        if self.is_csv:
            self.rows.csv(records)
        else:
            self.rows.json(records)

    def _next_record(self) -> int:
        return self.parser.count + 1

    def data_row(self, record: int | None) -> int | None:
        """A parser's 1-based record number as a data row (None for a CSV header)."""
        if record is None or not self.is_csv:
            return record
        return record - 1 if record > 1 else None

    def _fatal(self, message: str, code: str, record: int | None) -> ValidationFailedError:
        row = self.data_row(record)
        where = f"at data row {row}" if row is not None else "in the header"
        if not self.is_csv and row is None:
            where = "outside the rows"
        errors = self.rows.errors
        errors.add([FieldError(self.upload.field, message, row=row, code=code)])
        return errors.failure(f"The upload cannot be read {where}: {message}")

    def malformed(self, exc: MalformedUploadError) -> ValidationFailedError:
        return self._fatal(exc.message, "malformed", exc.record)


def _empty(upload: Upload) -> ValidationFailedError:
    error = FieldError(upload.field, "holds no rows", code="empty")
    return ValidationFailedError("The upload has no rows; nothing was stored.", [error])


async def read_upload(
    upload: Upload, validator: RowValidator, errors: RowErrors, max_rows: int
) -> str:
    """Validate every row into `validator` (faults into `errors`); the content's SHA-256."""
    rows = _Rows(validator, errors, max_rows)
    reader = _Reader(upload, rows)
    digest = hashlib.sha256()
    size = 0
    try:
        async for chunk in upload.chunks:
            digest.update(chunk)
            size += len(chunk)
            for start in range(0, len(chunk), SLICE_BYTES):
                if start:
                    await anyio.lowlevel.checkpoint()
                reader.feed(chunk[start : start + SLICE_BYTES])
        if size == 0:
            raise _empty(upload)
        reader.feed(b"", final=True)
    except MalformedUploadError as exc:
        raise reader.malformed(exc) from exc
    if rows.data_rows == 0:
        raise _empty(upload)
    return digest.hexdigest()
