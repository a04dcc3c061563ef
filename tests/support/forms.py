"""Reading forms out of rendered pages."""

from __future__ import annotations

import re


def csrf_token_from(html: str) -> str:
    """The CSRF token in a rendered form (for tests that enable CSRF)."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)
