"""Absolute links (certificate verify URL, reset links, links in mail) that a
request's ``Host`` header cannot redirect.

With ``KAPTRAIN_BASE_URL`` every absolute link starts with it, whatever host
the request named. Without it, links use the request's host, which is safe only
when ``KAPTRAIN_TRUSTED_HOSTS`` makes Flask refuse unknown hosts (400); in
production one of the two is required (``kaptrain.platform.config``).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for


def absolute_url(endpoint: str, **values: Any) -> str:
    """The full URL of ``endpoint`` (never built from an untrusted Host header)."""
    base = current_app.config.get("BASE_URL")
    if base:
        if has_request_context():
            path = url_for(endpoint, **values)
        else:
            # Outside a request (CLI, mail delivery): the path as the app serves it.
            with current_app.test_request_context():
                path = url_for(endpoint, **values)
        return base + path
    if not has_request_context():
        raise RuntimeError(
            "An absolute link outside a request needs KAPTRAIN_BASE_URL to be set."
        )
    return url_for(endpoint, _external=True, **values)
