"""Playwright driving the system's Chromium (never a downloaded browser) against a live server.

Without /usr/bin/chromium the browser tests are skipped, saying so; under CI (CI=true) that is a
failure instead, so that a CI machine without Chromium can never pass by skipping them.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("RIDNI_CHROMIUM", "/usr/bin/chromium"))
MISSING = f"the browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"


def chromium_or_skip() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(MISSING + "; CI must run them")
    pytest.skip(MISSING)


@pytest.fixture(scope="session", name="chromium")
def chromium_fixture() -> Iterator[object]:
    """One headless Chromium for the session's browser tests."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), headless=True)
        try:
            yield browser
        finally:
            browser.close()
