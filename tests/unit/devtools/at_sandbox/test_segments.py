"""The sandbox's own SMS part count, checked against the published rules (3GPP TS 23.038 and
TS 23.040), never against Duka's `duka.notifications.sms.gsm`: each side must be able to
catch the other."""

from __future__ import annotations

import pytest

from devtools.at_sandbox.segments import count_segments

# A Cyrillic letter: outside GSM-7, one UTF-16 code unit.
CYR = "ж"
# An emoji: outside the Basic Multilingual Plane, a surrogate pair (two code units).
EMOJI = "\N{GRINNING FACE}"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        # Letters of the default alphabet beyond ASCII cost one septet each.
        ("Δ" * 160, 1),
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\n\r" * 3, 1),
    ],
)
def test_gsm7_texts_hold_160_septets_then_153_per_part(text: str, parts: int) -> None:
    assert count_segments(text) == parts


@pytest.mark.parametrize("char", ["€", "[", "]", "{", "}", "\\", "~", "^", "|", "\f"])
def test_an_extension_character_costs_two_septets(char: str) -> None:
    assert count_segments(char * 80) == 1
    assert count_segments(char * 81) == 2


def test_an_escape_pair_is_never_split_across_two_parts() -> None:
    # 306 septets would fill two parts exactly, but the euro sign cannot start at septet 153.
    assert count_segments("a" * 152 + "€" + "a" * 152) == 3


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (CYR * 70, 1),
        (CYR * 71, 2),
        (CYR * 134, 2),
        (CYR * 135, 3),
        (EMOJI * 35, 1),
        (EMOJI * 36, 2),
    ],
)
def test_ucs2_texts_hold_70_code_units_then_67_per_part(text: str, parts: int) -> None:
    assert count_segments(text) == parts


def test_one_character_outside_gsm7_sends_the_whole_text_as_ucs2() -> None:
    assert count_segments("a" * 100) == 1
    assert count_segments("a" * 100 + "\N{RIGHT SINGLE QUOTATION MARK}") == 2


def test_a_surrogate_pair_is_never_split_across_two_parts() -> None:
    # 134 code units would fill two parts exactly, but the emoji cannot start at unit 67.
    assert count_segments(CYR * 66 + EMOJI + CYR * 66) == 3


@pytest.mark.parametrize("char", ["\x1b", "\x00", "`", "\t"])
def test_the_escape_code_and_characters_not_in_the_tables_are_not_gsm7(char: str) -> None:
    assert count_segments(char + "a" * 100) == 2
