"""Browser tests: Playwright drives the system Chromium against a real gunicorn.

* ``browser``: one headless Chromium for the session, launched from
  /usr/bin/chromium (never a downloaded browser). Missing Chromium fails in CI
  (``CI=true``) and skips elsewhere, naming the package to install.
* ``audit``: an :class:`~tests.browser.support.Auditor` (axe-core in light and
  dark, reflow at 320 px, screenshots when ``KAPTRAIN_SCREENSHOTS=1``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .support import CHROMIUM, CHROMIUM_ARGS, Auditor


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: the browser tests drive the system Chromium. "
            "Install it with `apt-get install chromium` (Debian/Ubuntu)."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def audit() -> Auditor:
    return Auditor()
