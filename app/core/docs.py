"""Interactive API documentation served by the service itself, with nothing from a CDN.

Swagger UI's script and style come from the fastapi-offline package, which ships them; the
script that starts it is our own file, so the page needs no inline script and the security
policy of /docs allows this origin only (app/core/headers.py).
"""

from html import escape
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/docs"
_ASSETS = f"{DOCS_PATH}/assets"
_INIT = f"{DOCS_PATH}/swagger-init.js"
_INIT_FILE = Path(__file__).with_name("swagger-init.js")
_SWAGGER_FILES = Path(str(files("fastapi_offline") / "static"))


def install_docs(app: FastAPI, *, openapi_url: str) -> None:
    """Serve Swagger UI at /docs, reading the schema at `openapi_url`."""
    app.mount(_ASSETS, StaticFiles(directory=_SWAGGER_FILES), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = escape(request.scope.get("root_path", ""))
        return HTMLResponse(
            "<!doctype html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(app.title)}: API documentation</title>"
            f'<link rel="icon" href="{root}{_ASSETS}/favicon.png">'
            f'<link rel="stylesheet" href="{root}{_ASSETS}/swagger-ui.css">'
            f'<script src="{root}{_ASSETS}/swagger-ui-bundle.js" defer></script>'
            f'<script src="{root}{_INIT}" defer></script>'
            "</head><body>"
            f'<div id="swagger-ui" data-openapi-url="{root}{escape(openapi_url)}"></div>'
            "</body></html>\n"
        )

    @app.get(_INIT, include_in_schema=False)
    def swagger_init() -> FileResponse:
        return FileResponse(_INIT_FILE, media_type="text/javascript")
