"""Self-hosted Swagger UI: no CDN, no inline script, strict CSP (see middleware)."""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

VENDOR_DIR = Path(fastapi_offline.__file__).parent / "static"
OWN_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)


def _page(title: str, body: str, head: str = "") -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>{head}</head>{body}</html>"
    )


def mount(app: FastAPI) -> None:
    openapi_url = escape(app.openapi_url or "/openapi.json", quote=True)
    title = app.title

    @router.get("/docs")
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(
            _page(
                f"{title} - API docs",
                f'<body data-openapi-url="{openapi_url}"><div id="swagger-ui"></div>'
                '<script src="/docs/vendor/swagger-ui-bundle.js"></script>'
                '<script src="/docs/assets/swagger-init.js"></script></body>',
                '<link rel="stylesheet" href="/docs/vendor/swagger-ui.css">',
            )
        )

    app.include_router(router)
    app.mount("/docs/vendor", StaticFiles(directory=VENDOR_DIR), name="docs-vendor")
    app.mount("/docs/assets", StaticFiles(directory=OWN_DIR), name="docs-assets")
