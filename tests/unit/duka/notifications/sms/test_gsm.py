from __future__ import annotations

import pytest

from duka.notifications.sms.gsm import (
    SmsEncoding,
    fits_one_segment,
    is_gsm7,
    non_gsm7_chars,
    segment_info,
)


def test_plain_order_text_is_gsm7_in_one_segment() -> None:
    text = "Hi Jane, we received your order ORD-1A2B3C4D: 2 x Maize, KES 1,000.00. Thank you!"
    info = segment_info(text)
    assert info.encoding is SmsEncoding.GSM7
    assert info.units == len(text)
    assert info.segments == 1
    assert fits_one_segment(text)


def test_160_septets_fit_and_161_split_into_153_septet_parts() -> None:
    assert segment_info("a" * 160).segments == 1
    assert segment_info("a" * 161).segments == 2
    assert segment_info("a" * 306).segments == 2
    assert segment_info("a" * 307).segments == 3


def test_extension_characters_cost_two_septets() -> None:
    info = segment_info("€" * 80)
    assert info.encoding is SmsEncoding.GSM7
    assert info.units == 160
    assert info.segments == 1
    assert not fits_one_segment("€" * 80 + "a")


def test_an_escape_pair_never_straddles_two_parts() -> None:
    # 152 septets, then "€" (2) would end at 154 > 153: it moves to part two.
    text = "a" * 152 + "€" + "a" * 152
    assert segment_info(text).units == 306
    assert segment_info(text).segments == 3


@pytest.mark.parametrize("char", ["\u2019", "\u201c", "é\u0301", "😀", "ç", "Ж"])
def test_a_single_non_gsm7_character_switches_the_text_to_ucs2(char: str) -> None:
    text = "Order received" + char
    assert not is_gsm7(text)
    assert segment_info(text).encoding is SmsEncoding.UCS2


def test_ucs2_fits_70_units_then_splits_into_67() -> None:
    assert segment_info("Ж" * 70).segments == 1
    assert segment_info("Ж" * 71).segments == 2
    assert segment_info("Ж" * 134).segments == 2
    assert segment_info("Ж" * 135).segments == 3


def test_characters_outside_the_bmp_take_two_ucs2_units_and_are_not_split() -> None:
    assert segment_info("😀" * 35).units == 70
    assert segment_info("😀" * 35).segments == 1
    # 66 units, then a surrogate pair would end at 68 > 67.
    text = "Ж" * 66 + "😀" + "Ж" * 66
    assert segment_info(text).segments == 3


def test_non_gsm7_chars_names_each_culprit_once_in_order() -> None:
    text = "It\u2019s \u201cready\u201d \u2019"  # curly quotes, as word processors type them
    assert non_gsm7_chars(text) == ["\u2019", "\u201c", "\u201d"]
    assert non_gsm7_chars("plain [text] {ok} €5 ^_^ ~|\\") == []


def test_the_gsm7_alphabet_includes_its_accented_and_greek_letters() -> None:
    assert is_gsm7("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\n\r")
    assert not is_gsm7("\x1b")


def test_empty_text_is_one_segment() -> None:
    assert segment_info("").segments == 1
