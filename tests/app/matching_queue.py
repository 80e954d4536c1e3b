"""Draining the matching queue in a test: filings only queue their records for matching, and the
tests' apps run no worker (tests/conftest.py), so a test that expects proposals drains it."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.matches import worker


def drain_queue(client_or_app: TestClient | FastAPI) -> int:
    """Match every queued record with the app's own sessions (inside the test's transaction
    for `client`); how many were matched."""
    app = client_or_app.app if isinstance(client_or_app, TestClient) else client_or_app
    return worker.drain(app.state.session_factory, app.state.matching)
