"""A module's history: every revision with its message and diff; roll back."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kaptrain.authoring import store
from kaptrain.authoring.reviews import changes
from kaptrain.authoring.revisions import PublishError, history, rollback
from kaptrain.models import AUTHOR
from kaptrain.models.content import MESSAGE_MAX
from kaptrain.people.access import roles_required
from kaptrain.people.accounts import current_account
from kaptrain.platform.database import parse_id
from kaptrain.web.studio.views import bp


@bp.get("/modules/<module_id>/history", endpoint="history")
@roles_required(AUTHOR)
def history_page(module_id: str) -> ResponseReturnValue:
    """Every revision of a module, newest first."""
    revisions = history(module_id)
    if not revisions:
        abort(404)
    return render_template(
        "studio/history.html", module_id=module_id, revisions=revisions
    )


@bp.get("/modules/<module_id>/revisions/<int:number>", endpoint="revision")
@roles_required(AUTHOR)
def revision_page(module_id: str, number: int) -> ResponseReturnValue:
    """What one revision changed, against the revision before it."""
    revision = store.get_revision(module_id, number) if parse_id(str(number)) else None
    if revision is None:
        abort(404)
    before = store.get_revision(module_id, number - 1) if number > 1 else None
    changed = changes(
        store.read_files(before) if before is not None else {},
        store.read_files(revision),
    )
    info = next(r for r in history(module_id) if r.number == number)
    return render_template(
        "studio/revision.html", module_id=module_id, info=info, changes=changed
    )


@bp.post("/modules/<module_id>/rollback", endpoint="rollback")
@roles_required(AUTHOR)
def rollback_view(module_id: str) -> ResponseReturnValue:
    """Publish an older revision's files again, as a new revision."""
    number = parse_id(request.form.get("number", ""))
    message = request.form.get("message", "").strip()
    if number is None or len(message) > MESSAGE_MAX:
        flash(
            f"Choose a revision to roll back to (and keep the reason to {MESSAGE_MAX} "
            "characters).",
            "error",
        )
        return redirect(url_for("studio.history", module_id=module_id))
    try:
        outcome = rollback(module_id, number, current_account(), message)
    except PublishError as error:
        flash(" ".join(error.lines()), "error")
        return redirect(url_for("studio.history", module_id=module_id))
    flash(
        f"Rolled back: revision {outcome.revision.number} republishes the files of "
        f"revision {number}.",
        "success",
    )
    return redirect(url_for("studio.history", module_id=module_id))
