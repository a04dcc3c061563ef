"""Friendly error pages (HTML or JSON), with the session rolled back on 500."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, Response, jsonify, make_response, render_template
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from kaptrain.extensions import db, limiter
from kaptrain.people import security_events
from kaptrain.people.access import wants_json

log = logging.getLogger("kaptrain")

MESSAGES = {
    400: (
        "That request could not be understood",
        "Go back, reload the page and try again.",
    ),
    401: ("Please sign in", "Sign in to see this page."),
    403: (
        "You do not have access to this page",
        "If you think you should, ask your supervisor or an administrator.",
    ),
    404: (
        "Page not found",
        "The address may be mistyped, or the page may have moved. Start again from "
        "the home page.",
    ),
    405: ("That action is not available here", "Go back and use the page's buttons."),
    413: (
        "That was too large to accept",
        "Shorten what you entered and send it again.",
    ),
    414: (
        "That address is too long",
        "Go back and follow a link on the site instead of a typed or pasted address.",
    ),
    429: (
        "Too many attempts",
        "Wait a minute, then try again. This slows down anyone guessing passwords.",
    ),
    500: (
        "Something went wrong on our side",
        "Nothing you did caused this. Try again in a moment; if it keeps happening, "
        "tell your administrator.",
    ),
    503: ("The service is unavailable", "Try again in a minute."),
}


def _render(code: int, detail: str | None = None) -> ResponseReturnValue:
    title, advice = MESSAGES.get(code, (f"Error {code}", "Go back and try again."))
    if detail:
        advice = detail
    if wants_json():
        return jsonify({"error": title, "detail": advice, "status": code}), code
    if request_ctx.url_adapter is None:
        # The Host header was refused (KAPTRAIN_TRUSTED_HOSTS) before any URL
        # could be built, so the page template (full of links) cannot render.
        return Response(f"{title}. {advice}\n", code, mimetype="text/plain")
    return render_template(
        "errors/error.html", code=code, title=title, advice=advice
    ), code


def _retry_after() -> int:
    """Seconds until the limit that was hit lets a request through again."""
    limit = limiter.current_limit
    if limit is None:
        return 60
    try:
        # reset_at is a whole-second timestamp, so rounding can overshoot the
        # window by a second; never ask a client to wait longer than the window.
        window = limit.limit.get_expiry()
        return max(1, min(math.ceil(limit.reset_at - time.time()), window))
    except Exception:  # noqa: BLE001 - storage trouble must not turn a 429 into 500
        return 60


def _breached_limit() -> str:
    """The limit a 429 answers for, e.g. "10 per 5 minute" (never its key, which
    may hold an email address)."""
    limit = limiter.current_limit
    return str(limit.limit) if limit is not None else "limit"


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        security_events.record_refusal(
            security_events.CSRF_REJECTED, str(error.description)[:120]
        )
        return _render(
            400,
            "The form had expired or was sent from somewhere else. Go back, reload "
            "the page and send it again; what you typed may still be in the form.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
        if code >= 500:
            db.session.rollback()
        elif code in (403, 404) and security_events.access_was_denied():
            security_events.record_refusal(security_events.ACCESS_DENIED, str(code))
        elif code == 429:
            security_events.record_refusal(
                security_events.RATE_LIMITED, _breached_limit()
            )
        response = make_response(_render(code))
        if code == 429:
            response.headers["Retry-After"] = str(_retry_after())
        if code == 405 and isinstance(error, MethodNotAllowed):
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods or ()))
        return response

    @app.errorhandler(Exception)
    def unhandled(error: Exception) -> ResponseReturnValue:
        if isinstance(error, HTTPException):
            return http_error(error)
        db.session.rollback()
        log.exception("unhandled error", exc_info=error)
        return _render(InternalServerError.code)
