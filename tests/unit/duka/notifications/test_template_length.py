"""The template's worst-case segment count, logged when the API and the runner start: a
warning past two segments (each is billed), naming characters that force UCS-2."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

import pytest

from duka.core.settings import Settings
from duka.notifications.sms.gsm import SmsEncoding
from duka.notifications.template import (
    EVERYDAY_TEXT_CHARS,
    WARN_PAST_SEGMENTS,
    check_template_length,
    worst_case,
)

ZONE = ZoneInfo("Africa/Nairobi")


def test_the_default_template_stays_within_two_gsm7_segments_without_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="duka.notifications.template"):
        length = check_template_length(Settings().sms_template, ZONE)
    assert length.worst.encoding is SmsEncoding.GSM7
    assert length.worst.segments == 2
    assert not length.too_long
    assert length.non_gsm7 == []
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]


def test_a_long_template_warns_with_its_worst_case(caplog: pytest.LogCaptureFixture) -> None:
    template = "Dear valued customer {customer_name}, " + "thank you so much! " * 12 + "{item}"
    with caplog.at_level(logging.DEBUG, logger="duka.notifications.template"):
        length = check_template_length(template, ZONE)
    assert length.worst.segments > WARN_PAST_SEGMENTS
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert f"worst case {length.worst.segments} segments (GSM-7" in record.getMessage()


def test_a_character_outside_gsm7_in_the_template_is_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    template = (
        "Asante sana {customer_name} \u2013 tumepokea oda yako {order_ref}: {quantity} x {item}, "
        "{currency} {amount}"
    )
    with caplog.at_level(logging.DEBUG, logger="duka.notifications.template"):
        length = check_template_length(template, ZONE)
    assert length.non_gsm7 == ["\u2013"]
    assert length.worst.encoding is SmsEncoding.UCS2
    assert length.too_long, "UCS-2 holds 67 characters a part"
    assert "make every SMS UCS-2: \u2013" in caplog.records[0].getMessage()


def test_the_worst_case_grows_with_the_free_text() -> None:
    short = worst_case("{customer_name}", ZONE).worst.units
    assert short == EVERYDAY_TEXT_CHARS
    widest = worst_case("{quantity} {amount} {ordered_at}", ZONE).worst.units
    assert widest == len("1000000 9,999,999,999.99 01 Jan 02:59")
