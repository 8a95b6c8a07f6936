"""Reading an upload: rows numbered as people count them, faults named by row."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest

from duka.core.errors import FieldError, PayloadTooLargeError, ValidationFailedError
from duka.uploads import reading
from duka.uploads.columns import Columns, RawValues
from duka.uploads.exceptions import RowErrors
from duka.uploads.reading import read_upload
from duka.uploads.upload import Upload, UploadFormat

pytestmark = pytest.mark.anyio


class Recorder:
    """A validator that keeps what it is given and refuses the value "bad"."""

    columns = Columns(("a", "b"), (frozenset({"a"}),))

    def __init__(self) -> None:
        self.seen: list[tuple[int, RawValues | None]] = []

    def add(self, values: RawValues | None, row: int, problems: list[FieldError]) -> None:
        self.seen.append((row, values))
        if values is not None and values[0] == "bad":
            problems.append(FieldError("a", "is bad", row=row))


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def _read(
    data: bytes, fmt: UploadFormat = UploadFormat.CSV, *, size: int = 1 << 20, max_rows: int = 100
) -> tuple[Recorder, RowErrors, str]:
    recorder, errors = Recorder(), RowErrors()
    upload = Upload(fmt, "body", _chunks(data, size))
    digest = await read_upload(upload, recorder, errors, max_rows)
    return recorder, errors, digest


async def _failure(
    data: bytes, fmt: UploadFormat = UploadFormat.CSV, **kwargs: int
) -> ValidationFailedError:
    with pytest.raises(ValidationFailedError) as caught:
        await _read(data, fmt, **kwargs)
    return caught.value


@pytest.mark.parametrize("size", [1, 3, 1 << 20])
async def test_csv_rows_are_numbered_after_the_header_blank_lines_counted(size: int) -> None:
    data = '\ufeffB,a\r\n2,1\r\n\r\n,,\n,bad\n"x\ny",z\n'.encode()
    recorder, errors, digest = await _read(data, size=size)
    assert recorder.seen == [(1, ["1", "2"]), (4, ["bad", None]), (5, ["z", "x\ny"])]
    assert [(e.row, e.field) for e in errors.listed] == [(4, "a")]
    assert digest == hashlib.sha256(data).hexdigest()


async def test_a_csv_row_of_the_wrong_width_is_listed_and_reading_goes_on() -> None:
    recorder, errors, _ = await _read(b"a,b\n1\n2,3\n")
    assert recorder.seen == [(1, None), (2, ["2", "3"])]
    assert [(e.row, e.code) for e in errors.listed] == [(1, "column_count")]


async def test_json_rows_are_numbered_from_one() -> None:
    data = b'[{"a": "x"}, {"a": "bad", "c": 1}, 5]'
    recorder, errors, _ = await _read(data, UploadFormat.JSON, size=4)
    assert recorder.seen == [(1, ["x", None]), (2, ["bad", None]), (3, None)]
    assert [(e.row, e.field, e.code) for e in errors.sorted_errors()] == [
        (2, "c", "extra_forbidden"),
        (2, "a", "invalid"),
        (3, "row", "object_type"),
    ]


async def test_a_large_chunk_is_read_in_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "SLICE_BYTES", 5)
    data = b"a,b\n" + b"".join(f"{i},x\n".encode() for i in range(1, 101))
    recorder, _, _ = await _read(data)
    assert [row for row, _ in recorder.seen] == list(range(1, 101))
    assert recorder.seen[-1] == (100, ["100", "x"])


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"", UploadFormat.CSV),
        (b"a,b\n", UploadFormat.CSV),
        (b"a,b\n\n,\n", UploadFormat.CSV),
        (b"", UploadFormat.JSON),
        (b" [ ] ", UploadFormat.JSON),
    ],
)
async def test_an_upload_without_rows_is_refused(data: bytes, fmt: UploadFormat) -> None:
    failure = await _failure(data, fmt)
    assert failure.detail == "The upload has no rows; nothing was stored."
    assert [(e.field, e.code) for e in failure.errors] == [("body", "empty")]


async def test_too_many_rows_is_too_large() -> None:
    data = b"a\n" + b"1\n" * 4
    await _read(data, max_rows=4)
    with pytest.raises(PayloadTooLargeError) as caught:
        await _read(data + b"\n\n1\n", max_rows=4)
    assert caught.value.status == 413
    assert "more than 4 rows" in caught.value.detail


async def test_bad_utf8_names_its_row_and_keeps_earlier_faults() -> None:
    data = b"a,b\nbad,1\n2,\xc3\x28\n"
    failure = await _failure(data, size=7)
    assert failure.detail.startswith("The upload cannot be read at data row 2: is not UTF-8 text")
    assert [(e.row, e.field, e.code) for e in failure.errors] == [
        (1, "a", "invalid"),
        (2, "body", "encoding"),
    ]


async def test_bad_utf8_in_the_header() -> None:
    failure = await _failure(b"a,\xff\n1,2\n")
    assert failure.detail.startswith("The upload cannot be read in the header")
    assert [(e.row, e.code) for e in failure.errors] == [(None, "encoding")]


async def test_malformed_csv_names_the_data_row() -> None:
    failure = await _failure(b'a,b\n1,2\n"x"y,3\n')
    assert "at data row 2: not valid CSV" in failure.detail
    assert [(e.row, e.field, e.code) for e in failure.errors] == [(2, "body", "malformed")]


async def test_malformed_json_names_the_row_or_says_it_is_outside_them() -> None:
    failure = await _failure(b'[{"a": 1}, {"a" 2}]', UploadFormat.JSON)
    assert "at data row 2" in failure.detail
    failure = await _failure(b'{"a": 1}', UploadFormat.JSON)
    assert failure.detail.startswith("The upload cannot be read outside the rows")
    assert [(e.row, e.code) for e in failure.errors] == [(None, "malformed")]


async def test_a_bad_header_stops_the_reading() -> None:
    failure = await _failure(b"a,zz\n1,2\n")
    assert failure.detail == "The CSV header is not valid; nothing was stored."
    assert [(e.field, e.code) for e in failure.errors] == [("zz", "unknown_column")]
