"""Home, health and support views."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import text

from kaptrain.extensions import db
from kaptrain.learning.course import current_catalog
from kaptrain.models import TRAINEE
from kaptrain.people.membership import invitations_for

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """Landing page: an introduction, or the signed-in person's starting points
    and any cohort invitations waiting for their answer."""
    invitations = []
    if current_user.is_authenticated and current_user.has_role(TRAINEE):
        # Here, where sign-in lands, rather than on the module list: that page
        # is kept to one query on repeat visits (tests/test_query_counts.py).
        invitations = invitations_for(current_user)
        if not invitations and current_user.roles == {TRAINEE}:
            return redirect(url_for("learn.catalog"))
    return render_template(
        "main/index.html", catalog=current_catalog(), invitations=invitations
    )


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness for load balancers: database reachable, modules loaded."""
    modules = len(current_catalog().modules)
    for attempt in (1, 2):
        try:
            db.session.execute(text("SELECT 1"))
            db.session.rollback()
            break
        except Exception as error:  # noqa: BLE001 - any failure means "not healthy"
            db.session.rollback()
            # A pooled connection the server dropped a moment ago (a restart
            # still closing its sockets) is discarded with the error; ask once
            # more on a fresh one before reporting the database down.
            if attempt == 1 and getattr(error, "connection_invalidated", False):
                continue
            current_app.logger.warning("health check: database unreachable")
            return (
                jsonify({"status": "error", "database": "error", "modules": modules}),
                503,
            )
    return jsonify({"status": "ok", "database": "ok", "modules": modules})


@bp.get("/support")
def support() -> ResponseReturnValue:
    """Where to find help when course material is distressing."""
    return render_template(
        "main/support.html", support_url=current_app.config.get("SUPPORT_URL")
    )
