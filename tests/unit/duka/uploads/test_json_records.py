"""The streaming JSON array reader gives json.loads's elements, however the text is cut."""

from __future__ import annotations

import json
import random

import pytest

from duka.uploads.exceptions import MalformedUploadError
from duka.uploads.json_records import JsonArrayRecords

SAMPLE = (
    '\ufeff[ {"a": 1, "b": "x,]}\\"y"},\n'
    '  {"nested": {"list": [1, 2, {"c": null}]}, "n": -12.5e3},\r\n'
    '\t"not an object", 123456, true, null, [],\n'
    '  {"unicode": "\\u00fc\\ud834\\udd1e ✓", "empty": ""}\n'
    "] \n"
).removeprefix("\ufeff")


def _feed_in_pieces(text: str, cuts: list[int]) -> list[object]:
    reader = JsonArrayRecords()
    out: list[object] = []
    start = 0
    for cut in [*cuts, len(text)]:
        out += reader.feed(text[start:cut])
        start = cut
    out += reader.close()
    assert reader.count == len(out)
    return out


def test_whole_text_matches_json_loads() -> None:
    assert _feed_in_pieces(SAMPLE, []) == json.loads(SAMPLE)


@pytest.mark.parametrize("seed", range(25))
def test_any_cutting_of_the_text_gives_the_same_elements(seed: int) -> None:
    rnd = random.Random(seed)
    cuts = sorted(rnd.sample(range(1, len(SAMPLE)), rnd.randint(1, 40)))
    assert _feed_in_pieces(SAMPLE, cuts) == json.loads(SAMPLE)


def test_one_character_at_a_time() -> None:
    assert _feed_in_pieces(SAMPLE, list(range(1, len(SAMPLE)))) == json.loads(SAMPLE)


def test_a_number_cut_in_two_is_read_whole() -> None:
    reader = JsonArrayRecords()
    assert reader.feed("[12") == []
    assert reader.feed("34, 5") == [1234]
    assert reader.feed("]") == [5]
    assert reader.close() == []


@pytest.mark.parametrize(
    ("text", "record", "reason"),
    [
        ('{"a": 1}', None, "must be an array of objects"),
        ("[1] 2", None, "unexpected data after the array"),
        ("[1 2]", 1, "expected ',' or ']' after row 1"),
        ('[{"a": 1}, {"a": }]', 2, "not valid JSON: Expecting value"),
        ("[1, 2", 2, "not closed"),
        ("[1,", 2, "not closed"),
        ("[1, 2,]", 3, "Expecting value"),
        ("[", 1, "not closed"),
        ("   ", None, "the body is empty"),
        ("[" * 100_000, 1, "nested too deeply"),
    ],
)
def test_malformed_json_names_the_element(text: str, record: int | None, reason: str) -> None:
    reader = JsonArrayRecords(max_record_chars=1_000_000)

    def read() -> None:
        reader.feed(text)
        reader.close()

    with pytest.raises(MalformedUploadError) as caught:
        read()
    assert caught.value.record == record
    assert reason in caught.value.message


def test_an_integer_too_long_to_read_is_malformed() -> None:
    reader = JsonArrayRecords(max_record_chars=100_000)
    reader.feed("[" + "9" * 5000 + "]")
    with pytest.raises(MalformedUploadError) as caught:
        reader.close()
    assert caught.value.record == 1
    assert "digits" in caught.value.message


def test_an_element_that_never_ends_is_refused_once_too_long() -> None:
    reader = JsonArrayRecords(max_record_chars=20)
    assert reader.feed('[{"a": 1}, {"b": "') == [{"a": 1}]
    with pytest.raises(MalformedUploadError) as caught:
        reader.feed("x" * 30)
    assert caught.value.record == 2


def test_an_empty_array_has_no_elements() -> None:
    reader = JsonArrayRecords()
    assert reader.feed(" [ \n ] ") == []
    assert reader.close() == []
    assert reader.count == 0
