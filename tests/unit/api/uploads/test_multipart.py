"""Streaming the `file` part out of a multipart form, whatever its chunking."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from api.uploads.multipart import open_multipart
from duka.core.errors import UnsupportedMediaTypeError, ValidationFailedError
from duka.uploads.upload import UploadFormat

pytestmark = pytest.mark.anyio

BOUNDARY = "----dukaBoundary7MA4YWxk"
CSV = b'customer_code,item,amount\r\nC1,Maize,10\r\nC2,"--not a boundary",5\r\n'


def _part(name: str, body: bytes, filename: str | None = None, ctype: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
    if ctype is not None:
        head += f"Content-Type: {ctype}\r\n"
    return head.encode() + b"\r\n" + body + b"\r\n"


def _form(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def _read(data: bytes, size: int = 1 << 16) -> tuple[UploadFormat, str, bytes]:
    upload = await open_multipart(_chunks(data, size), BOUNDARY)
    content = b"".join([chunk async for chunk in upload.chunks])
    return upload.format, upload.field, content


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 16])
async def test_the_file_part_streams_out_whole(size: int) -> None:
    form = _form(_part("file", CSV, "orders.csv", "text/csv"))
    assert await _read(form, size) == (UploadFormat.CSV, "file", CSV)


async def test_a_json_file_by_its_name() -> None:
    form = _form(_part("file", b"[]", "rows.json", "application/octet-stream"))
    assert await _read(form) == (UploadFormat.JSON, "file", b"[]")


async def test_an_empty_file_is_read_as_empty() -> None:
    form = _form(_part("file", b"", "rows.csv", "text/csv"))
    assert await _read(form) == (UploadFormat.CSV, "file", b"")


async def _problem(data: bytes, size: int = 1 << 16) -> ValidationFailedError:
    with pytest.raises(ValidationFailedError) as caught:
        await _read(data, size)
    return caught.value


async def test_another_field_is_refused_by_name() -> None:
    failure = await _problem(_form(_part("note", b"hi"), _part("file", CSV, "o.csv", "text/csv")))
    [error] = failure.errors
    assert (error.field, error.code) == ("note", "unknown_field")


async def test_a_field_after_the_file_is_refused_too() -> None:
    failure = await _problem(_form(_part("file", CSV, "o.csv", "text/csv"), _part("x", b"1")), 5)
    assert [(e.field, e.code) for e in failure.errors] == [("x", "unknown_field")]


async def test_two_files_are_refused() -> None:
    part = _part("file", CSV, "o.csv", "text/csv")
    failure = await _problem(_form(part, part))
    assert [(e.field, e.code) for e in failure.errors] == [("file", "duplicate_field")]


async def test_a_form_without_parts_has_no_file() -> None:
    failure = await _problem(f"--{BOUNDARY}--\r\n".encode())
    assert [(e.field, e.code) for e in failure.errors] == [("file", "missing")]


async def test_a_body_cut_short_is_malformed() -> None:
    form = _form(_part("file", CSV, "o.csv", "text/csv"))
    failure = await _problem(form[:-30])
    assert [(e.field, e.code) for e in failure.errors] == [("body", "malformed")]
    assert "closing boundary" in failure.errors[0].message


async def test_garbage_is_malformed() -> None:
    failure = await _problem(f"--{BOUNDARY}\r\nno colon here\r\n\r\n".encode())
    assert [(e.field, e.code) for e in failure.errors] == [("body", "malformed")]


async def test_a_file_of_another_type_is_unsupported() -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        await _read(_form(_part("file", b"%PDF", "x.pdf", "application/pdf")))


@pytest.mark.parametrize("boundary", ["x" * 300, "\u2603"])
async def test_an_unusable_boundary_is_unsupported(boundary: str) -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        await open_multipart(_chunks(b"", 1), boundary)
