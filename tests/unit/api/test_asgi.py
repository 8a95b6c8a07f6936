from __future__ import annotations

import importlib
import os

import pytest
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from duka.core.settings import get_settings


def test_the_asgi_module_builds_the_app_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.upper().startswith("DUKA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DUKA_CORS_ORIGINS", '["https://shop.example"]')
    get_settings.cache_clear()
    try:
        module = importlib.reload(importlib.import_module("api.asgi"))
        app = module.app
        assert isinstance(app, FastAPI)
        assert app.title == "Duka API"
        assert app.state.db is None  # the database opens in the lifespan, not at import
        assert CORSMiddleware in [getattr(m, "cls", None) for m in app.user_middleware]
    finally:
        get_settings.cache_clear()
