"""Which media types carry upload rows, and which get a 415."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from api.uploads.media import body_upload, boundary_of
from api.uploads.multipart import part_format
from duka.core.errors import UnsupportedMediaTypeError
from duka.uploads.upload import UploadFormat


async def _nothing() -> AsyncIterator[bytes]:
    yield b""


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/csv", UploadFormat.CSV),
        ("Text/CSV; charset=UTF-8", UploadFormat.CSV),
        ("application/csv", UploadFormat.CSV),
        ("application/json", UploadFormat.JSON),
        ('application/json; charset="utf8"', UploadFormat.JSON),
        ("application/vnd.duka+json", UploadFormat.JSON),
    ],
)
def test_bodies_that_hold_rows(content_type: str, expected: UploadFormat) -> None:
    upload = body_upload(content_type, _nothing())
    assert upload.format is expected
    assert upload.field == "body"


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [
        (None, "got none"),
        ("", "got none"),
        ("text/plain", "got text/plain"),
        ("application/xml", "got application/xml"),
        ("application/x-www-form-urlencoded", "got application/x-www-form-urlencoded"),
        ("text/csv; charset=latin-1", "charset=latin-1"),
    ],
)
def test_other_bodies_are_unsupported(content_type: str | None, shown: str) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        body_upload(content_type, _nothing())
    assert caught.value.status == 415
    assert shown in caught.value.detail


def test_a_form_needs_its_boundary() -> None:
    assert boundary_of("multipart/form-data; boundary=abc") == "abc"
    assert boundary_of('multipart/form-data; boundary="a b"') == "a b"
    assert boundary_of("text/csv") is None
    assert boundary_of(None) is None
    with pytest.raises(UnsupportedMediaTypeError):
        boundary_of("multipart/form-data")


@pytest.mark.parametrize(
    ("content_type", "filename", "expected"),
    [
        ("text/csv", None, UploadFormat.CSV),
        ("application/vnd.ms-excel", "orders.csv", UploadFormat.CSV),
        ("application/json", "x.txt", UploadFormat.JSON),
        ("application/octet-stream", "ORDERS.CSV", UploadFormat.CSV),
        (None, "rows.json", UploadFormat.JSON),
        ("text/plain", "dir/rows.csv", UploadFormat.CSV),
    ],
)
def test_the_file_format_comes_from_its_type_or_its_name(
    content_type: str | None, filename: str | None, expected: UploadFormat
) -> None:
    assert part_format(content_type, filename) is expected


@pytest.mark.parametrize(
    ("content_type", "filename", "shown"),
    [
        ("application/pdf", "rows.csv", "got application/pdf, named rows.csv"),
        ("application/octet-stream", "rows.xlsx", "got application/octet-stream"),
        (None, None, "got no type"),
        ("text/csv; charset=utf-16", None, "charset=utf-16"),
    ],
)
def test_other_files_are_unsupported(
    content_type: str | None, filename: str | None, shown: str
) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        part_format(content_type, filename)
    assert shown in caught.value.detail
