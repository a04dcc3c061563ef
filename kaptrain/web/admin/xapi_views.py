"""Admin page for the xAPI outbox: the sender's numbers and what the LRS refused."""

from __future__ import annotations

from flask import current_app, render_template
from flask.typing import ResponseReturnValue

from kaptrain.models import ADMIN
from kaptrain.people.access import roles_required
from kaptrain.web.admin.views import bp
from kaptrain.xapi import outbox


@bp.get("/xapi")
@roles_required(ADMIN)
def xapi() -> ResponseReturnValue:
    """Pending, delivered and rejected statements, and the rejected ones' reasons."""
    return render_template(
        "admin/xapi.html",
        endpoint=current_app.config.get("XAPI_ENDPOINT"),
        status=outbox.status(),
        rejected=outbox.rejected(),
    )
