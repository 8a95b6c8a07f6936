"""kopf's operator-wide settings as the startup handler leaves them."""

from __future__ import annotations

import kopf
import pytest

from duka_operator.startup import FINALIZER, apply_settings, use_duka_log_format


def test_settings_name_the_finalizer_and_poll_exiting_timers_often() -> None:
    settings = kopf.OperatorSettings()
    assert settings.background.cancellation_polling == 60  # kopf's default
    apply_settings(settings)
    assert settings.persistence.finalizer == FINALIZER
    # A deletion that meets a running drift check waits at most this long for the finalizer.
    assert settings.background.cancellation_polling <= 5


def test_kopfs_lines_take_dukas_format_at_kopfs_level(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import json
    import logging

    from duka.core.logs import DukaJsonFormatter
    from duka.core.settings import get_settings

    monkeypatch.setenv("DUKA_LOG_FORMAT", "json")
    get_settings.cache_clear()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    root.setLevel(logging.WARNING)  # as `kopf run --quiet` leaves it
    try:
        use_duka_log_format()
        (handler,) = root.handlers
        assert isinstance(handler.formatter, DukaJsonFormatter)
        assert root.level == logging.WARNING
        buffer = io.StringIO()
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(buffer)
        logging.getLogger("kopf.objects").warning("drift", extra={"k8s_ref": {"name": "x"}})
        line = json.loads(buffer.getvalue())
        assert (line["service"], line["k8s_ref"]) == ("operator", {"name": "x"})
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        get_settings.cache_clear()
