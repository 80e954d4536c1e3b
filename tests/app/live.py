"""A real uvicorn server on a free loopback port, for tests that need concurrent requests."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI


@contextmanager
def serve(app: FastAPI, **options: Any) -> Iterator[str]:
    """Serve `app`; `options` go to uvicorn.Config (log_level "warning" unless given)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, **{"log_level": "warning", **options})
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
