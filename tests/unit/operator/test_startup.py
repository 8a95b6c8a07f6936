"""kopf's operator-wide settings as the startup handler leaves them."""

from __future__ import annotations

import kopf

from duka_operator.startup import FINALIZER, apply_settings


def test_settings_name_the_finalizer_and_poll_exiting_timers_often() -> None:
    settings = kopf.OperatorSettings()
    assert settings.background.cancellation_polling == 60  # kopf's default
    apply_settings(settings)
    assert settings.persistence.finalizer == FINALIZER
    # A deletion that meets a running drift check waits at most this long for the finalizer.
    assert settings.background.cancellation_polling <= 5
