"""The streaming CSV reader gives the standard library's records, however the text is cut."""

from __future__ import annotations

import csv
import io
import random

import pytest

from api.uploads.csv_records import CsvRecords
from api.uploads.exceptions import MalformedUploadError

SAMPLE = (
    "code,name,phone\r\n"
    'C1,"Wanjiku, Jane",0712345678\r\n'
    '"C2","Line one\nline two","+254 712 345 678"\n'
    "\n"
    'C3,"She said ""hi""",0700000000\n'
    ",,\n"
    'C4,"multi\r\nline\r\nquoted",x\n'
    "C5,ünïcödé ✓ 𝄞,\u200f123\n"
    'C6,a"b,literal quote inside an unquoted field\n'
    "C7,no newline at the end,1"
)


def _expected(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))


def _feed_in_pieces(text: str, cuts: list[int]) -> list[list[str]]:
    reader = CsvRecords()
    out: list[list[str]] = []
    start = 0
    for cut in [*cuts, len(text)]:
        out += reader.feed(text[start:cut])
        start = cut
    out += reader.close()
    assert reader.count == len(out)
    return out


def test_whole_text_matches_the_standard_reader() -> None:
    assert _feed_in_pieces(SAMPLE, []) == _expected(SAMPLE)


@pytest.mark.parametrize("seed", range(25))
def test_any_cutting_of_the_text_gives_the_same_records(seed: int) -> None:
    rnd = random.Random(seed)
    cuts = sorted(rnd.sample(range(1, len(SAMPLE)), rnd.randint(1, 40)))
    assert _feed_in_pieces(SAMPLE, cuts) == _expected(SAMPLE)


def test_one_character_at_a_time() -> None:
    assert _feed_in_pieces(SAMPLE, list(range(1, len(SAMPLE)))) == _expected(SAMPLE)


def test_a_record_is_given_out_as_soon_as_its_line_is_complete() -> None:
    reader = CsvRecords()
    assert reader.feed("a,b\nc,") == [["a", "b"]]
    assert reader.feed('"d\n') == []  # inside a quoted field: not complete yet
    assert reader.feed('e"\n') == [["c", "d\ne"]]
    assert reader.close() == []


def test_text_after_a_closing_quote_is_malformed_and_names_the_record() -> None:
    reader = CsvRecords()
    with pytest.raises(MalformedUploadError) as caught:
        reader.feed('h1,h2\nok,1\n"bad"x,2\n')
    assert caught.value.record == 3
    assert "',' expected after '\"'" in caught.value.message


def test_an_unclosed_quote_at_the_end_is_malformed() -> None:
    reader = CsvRecords()
    assert reader.feed('h\n"open\n') == [["h"]]
    with pytest.raises(MalformedUploadError) as caught:
        reader.close()
    assert caught.value.record == 2
    assert "quoted field is not closed" in caught.value.message


def test_a_stray_carriage_return_is_explained() -> None:
    with pytest.raises(MalformedUploadError) as caught:
        CsvRecords().feed("a,b\rc,d\n")
    assert caught.value.record == 1
    assert "carriage return" in caught.value.message


def test_a_record_that_never_ends_is_refused_once_too_long() -> None:
    reader = CsvRecords(max_record_chars=50)
    assert reader.feed('h\n"' + "x\n" * 20) == [["h"]]
    with pytest.raises(MalformedUploadError) as caught:
        reader.feed("x\n" * 10)
    assert caught.value.record == 2
    assert "longer than 50 characters" in caught.value.message


def test_a_body_without_newlines_is_refused_once_too_long() -> None:
    reader = CsvRecords(max_record_chars=10)
    assert reader.feed("abcdef") == []
    with pytest.raises(MalformedUploadError) as caught:
        reader.feed("ghijkl")
    assert caught.value.record == 1
