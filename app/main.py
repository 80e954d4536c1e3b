"""The Ridni web application."""

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import models  # noqa: F401 - every table, for the keyring to see every sealed column
from app.audit.http import record_refusal
from app.audit.router import router as audit_router
from app.console.auth import router as console_auth_router
from app.console.errors import PREFIX as CONSOLE
from app.console.errors import problem_page
from app.console.pages import STATIC_DIR as CONSOLE_STATIC
from app.console.pages import ConsoleStatic
from app.console.photos import router as console_photos_router
from app.console.router import router as console_router
from app.console.timing import ServerTiming
from app.core.database import make_engine
from app.core.docs import install_docs
from app.core.headers import SecurityHeaders
from app.core.limits import RequestBodyGuard
from app.core.logs import RequestContext
from app.core.problems import install_problem_handlers, problem_response, problem_responses
from app.core.ratelimit import RateLimits, document_write_limits
from app.core.security import Authenticator
from app.core.settings import Settings, get_settings
from app.crypto.keyfile import key_file
from app.crypto.maintenance import open_keyring
from app.crypto.orm import make_session_factory
from app.exports.router import router as exports_router
from app.imports import service as imports
from app.imports.router import router as imports_router
from app.imports.uploads import keep_uploads_in_memory, remove_leftovers
from app.intake.router import router as intake_router
from app.matches.duplicates.router import router as duplicates_router
from app.matches.engine import MatchingSettings
from app.matches.router import router as matches_router
from app.matches.worker import MatchingWorker
from app.photos.forms import MAX_BODY_BYTES as PHOTO_BODY_BYTES
from app.photos.router import router as photos_router
from app.photos.store import PhotoStore, photo_dir
from app.reports.router import router as reports_router
from app.sightings.router import router as sightings_router
from app.users.router import router as users_router
from app.users.service import principal_of

PHOTO_UPLOADS = re.compile(r"/api/v1/(reports|sightings)/[^/]+/photos")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # What a process killed while importing left behind: its import, still "running", and
    # copies of uploads in clear that earlier versions wrote.
    remove_leftovers()
    try:
        imports.fail_abandoned(app.state.session_factory)
    except OperationalError:
        # The service still starts, and /healthz says the database is away; the next start
        # fails what this one could not.
        logging.getLogger("ridni.imports").error("could not check for abandoned imports")
    interval = app.state.settings.matching_interval
    if not interval:
        yield
        return
    # Started here, with the session factory the app runs with; it takes over on start the
    # queue rows a process that died left claimed.
    matcher = MatchingWorker(app.state.session_factory, app.state.matching, interval=interval)
    matcher.start()
    try:
        yield
    finally:
        matcher.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    docs = settings.docs_enabled
    app = FastAPI(
        title="Ridni",
        version="1",
        summary="Linking missing-child reports with sightings of deported Ukrainian children.",
        # Swagger UI is served from the service itself (install_docs, below), never a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        lifespan=_lifespan,
        # Any route may meet an unexpected error or an undecryptable value.
        responses=problem_responses(500),
    )
    if docs:
        install_docs(app, openapi_url="/openapi.json")
    app.state.settings = settings
    app.state.matching = MatchingSettings.from_settings(settings)
    engine = make_engine(settings.database_url)
    app.state.engine = engine
    try:
        # Refuses (KeyringError) when the keys cannot open what the database holds.
        app.state.keyring = open_keyring(engine, key_file(settings))
    except BaseException:
        engine.dispose()
        raise
    app.state.session_factory = make_session_factory(engine, app.state.keyring)
    photos = photo_dir(settings)
    app.state.photo_store = PhotoStore(photos) if photos is not None else None
    authenticate: Authenticator = principal_of  # the bearer tokens are the users domain's
    app.state.authenticate = authenticate
    app.state.rate_limits = RateLimits(
        writes=settings.rate_limit_writes,
        reports=settings.rate_limit_reports,
        storage=settings.rate_limit_storage,
    )
    install_problem_handlers(app, before_problem=record_refusal, pages=problem_page)
    # Innermost: the time the console's own work took, for signed-in reviewers.
    app.add_middleware(ServerTiming)
    keep_uploads_in_memory()
    app.add_middleware(
        RequestBodyGuard,
        max_bytes=settings.max_body_bytes,
        uploads={"/api/v1/imports": settings.max_upload_bytes},
        upload_patterns=[(PHOTO_UPLOADS, PHOTO_BODY_BYTES)],
        forms_under=CONSOLE + "/",
    )
    if settings.cors_origins:
        # Closed unless configured: only the listed origins may call from a browser.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )
    # A request id, the request's log line, and a problem document for an unexpected error,
    # around everything but the headers.
    app.add_middleware(RequestContext)
    # Outermost, so that every answer has them, 413s, 415s and 500s included.
    app.add_middleware(SecurityHeaders)
    app.include_router(intake_router)
    app.include_router(reports_router)
    app.include_router(sightings_router)
    app.include_router(matches_router)
    app.include_router(duplicates_router)
    app.include_router(exports_router)
    app.include_router(users_router)
    app.include_router(audit_router)
    app.include_router(imports_router)
    app.include_router(photos_router)
    app.include_router(console_auth_router)
    app.include_router(console_router)
    app.include_router(console_photos_router)
    app.mount(CONSOLE + "/static", ConsoleStatic(directory=CONSOLE_STATIC), name="console-static")
    document_write_limits(app)

    @app.get("/healthz", tags=["health"], responses=problem_responses(503))
    def healthz() -> JSONResponse:
        """200 once the database answers."""
        try:
            with app.state.session_factory() as session:
                session.execute(text("SELECT 1"))
        except Exception:
            return problem_response(503, "Service unavailable", "The database is not reachable.")
        return JSONResponse({"status": "ok"})

    return app
