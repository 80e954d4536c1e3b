"""`ridni serve`."""

import argparse
import logging
import threading
import time

import uvicorn
from fastapi import FastAPI

from app.core.logs import UVICORN_LOGGING, configure_logging
from app.core.migrations import upgrade
from app.core.protocol import HTTP_PROTOCOL
from app.core.settings import Settings, get_settings
from app.crypto.keyfile import KeyringError
from app.main import create_app
from app.matches.proposals import warm_engine


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    upgrade(settings.database_url)
    app = _create_app(settings)
    if not app.state.rate_limits.reachable():
        raise SystemExit("error: the rate-limit storage (RIDNI_RATE_LIMIT_STORAGE) does not answer")
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            log_level=settings.log_level,
            http=HTTP_PROTOCOL,
            **UVICORN_LOGGING,
        )
    )
    if settings.warm_engine:
        # Beside the requests, once the server listens: a start answers in seconds at any size.
        threading.Thread(target=_warm, args=(app, server), name="warm-engine", daemon=True).start()
    server.run()
    return 0


def _warm(app: FastAPI, server: uvicorn.Server) -> None:
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.1)
    started = time.perf_counter()
    with app.state.session_factory() as session:
        count = warm_engine(session)
    logging.getLogger("ridni.engine").info(
        "matching engine ready",
        extra={"fields": {"reports": count, "seconds": round(time.perf_counter() - started, 1)}},
    )


def _create_app(settings: Settings) -> FastAPI:
    """The app (which opens the keyring); exit 1 saying why when the keys cannot be used."""
    try:
        return create_app(settings)
    except KeyringError as error:
        raise SystemExit(f"error: {error}") from None
