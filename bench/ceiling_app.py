"""The stack's ceiling: the real app in the same gunicorn, plus two routes that
return the captured lesson page with no work. Used only by ``bench/pages.py``.

``/__ceiling`` is a Flask view on the real application, so a request pays for
gunicorn, Werkzeug, Flask's request context, the session cookie and every
before/after-request hook (security headers included), but no query and no
template. Signed in, that includes the session check: the two-step sign-in
gate (``people/mfa.gate``, a before-request hook) loads the signed-in session
on every request. ``/__raw`` answers below Flask, a plain WSGI callable, to
show what gunicorn alone costs. ``/__session`` sends the same bytes after the
one thing every signed-in page must do: check the session in the database (the
real user loader), which is the floor under any trainee page; with the gate in
every request it costs the same as the ceiling. The bytes come from
``KAPTRAIN_BENCH_CEILING_FILE``, written by the benchmark after it fetched the
real lesson page.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Response
from flask_login import current_user

from kaptrain.wsgi import app as kaptrain_app

_body: list[bytes] = []


def _bytes() -> bytes:
    if not _body:
        path = os.environ.get("KAPTRAIN_BENCH_CEILING_FILE", "")
        _body.append(Path(path).read_bytes() if path else b"ceiling")
    return _body[0]


def ceiling() -> Response:
    """The lesson's bytes, as the lesson view would send them."""
    return Response(_bytes(), mimetype="text/html")


def session_floor() -> Response:
    """The lesson's bytes after the session check, or 401 when signed out."""
    if not current_user.is_authenticated:
        return Response(b"sign in first", status=401)
    return Response(_bytes(), mimetype="text/html")


kaptrain_app.add_url_rule("/__ceiling", "bench_ceiling", ceiling)
kaptrain_app.add_url_rule("/__session", "bench_session", session_floor)


def app(environ: dict[str, Any], start_response: Any) -> Any:
    """WSGI entry: ``/__raw`` below Flask, everything else to the real app."""
    if environ.get("PATH_INFO") == "/__raw":
        body = _bytes()
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]
    return kaptrain_app(environ, start_response)
