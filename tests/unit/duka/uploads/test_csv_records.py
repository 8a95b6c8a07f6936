"""The streaming CSV reader gives the standard library's records, however the text is cut."""

from __future__ import annotations

import csv
import io
import random
import time

import pytest

from duka.uploads.csv_records import CsvRecords
from duka.uploads.exceptions import MalformedUploadError

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


def _parse_seconds(text: str, piece: int, max_record_chars: int) -> tuple[float, list[list[str]]]:
    reader = CsvRecords(max_record_chars=max_record_chars)
    out: list[list[str]] = []
    started = time.perf_counter()
    for start in range(0, len(text), piece):
        out += reader.feed(text[start : start + piece])
    out += reader.close()
    return time.perf_counter() - started, out


def test_a_quoted_field_cut_into_one_byte_chunks_is_parsed_in_linear_time() -> None:
    # One quoted field across 24,000 lines, fed one character at a time: a parser that
    # starts the record over on each new line does ~290 million character steps here
    # (seconds to minutes); a resuming one does each character once. The bound is a ratio
    # against the same text in one piece, so that a slow machine slows both sides.
    lines = 24_000
    text = 'h1,h2\nstart,"' + "x\n" * lines + '"\nnext,row\n'
    limit = len(text) + 1
    whole = min(_parse_seconds(text, len(text), limit)[0] for _ in range(5))
    piecewise, records = _parse_seconds(text, 1, limit)
    assert records == [["h1", "h2"], ["start", "x\n" * lines], ["next", "row"]]
    # Per-call overhead alone makes one-byte feeding ~100x slower than one C-level pass;
    # re-parsing the open record makes it ~10,000x slower.
    assert piecewise < 1500 * max(whole, 1e-4), (piecewise, whole)


def _random_csv(rnd: random.Random) -> str:
    pieces = [
        "a",
        "b c",
        "",
        'x"y',
        '"q"',
        '"with, comma"',
        '"two\nlines"',
        '"say ""hi"""',
        '""""',
        '"\n\n"',
        '"a""\nb"',
        '","',
    ]
    rows = []
    for _ in range(rnd.randint(1, 12)):
        rows.append(",".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 4))))
    return "\n".join(rows) + rnd.choice(["", "\n"])


@pytest.mark.parametrize("seed", range(200))
def test_quoted_fields_across_small_pieces_give_the_standard_records(seed: int) -> None:
    rnd = random.Random(seed)
    text = _random_csv(rnd)
    cuts = sorted(set(rnd.choices(range(1, max(len(text), 2)), k=rnd.randint(0, len(text)))))
    assert _feed_in_pieces(text, cuts) == _expected(text)


def test_a_record_that_never_ends_is_refused_once_too_long_however_it_is_cut() -> None:
    reader = CsvRecords(max_record_chars=50)
    assert reader.feed('h\n"') == [["h"]]
    for _ in range(24):
        assert reader.feed("x\n") == []
    with pytest.raises(MalformedUploadError) as caught:
        reader.feed("x\n")
    assert caught.value.record == 2
