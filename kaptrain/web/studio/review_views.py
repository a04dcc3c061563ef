"""Submit for review, review (diff, line notes, decision), publish, and bring a
stale draft up to date (rebase, settle both-changed files)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kaptrain.authoring import rebase as rebase_service
from kaptrain.authoring import reviews as reviews_service
from kaptrain.authoring.drafts import StudioError, draft_files
from kaptrain.authoring.revisions import PublishError
from kaptrain.models import AUTHOR, ContentDraft
from kaptrain.models.studio import NOTE_MAX
from kaptrain.people.access import roles_required
from kaptrain.people.accounts import current_account
from kaptrain.platform.database import parse_id
from kaptrain.web.studio.common import check_of, load_draft, own_draft, seen_version
from kaptrain.web.studio.editor_views import editor_page
from kaptrain.web.studio.forms import PublishForm, ReviewForm, SubmitForm
from kaptrain.web.studio.views import bp

NOTE_ROWS = 3


def _review_page(
    draft: ContentDraft, form: ReviewForm, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    published = reviews_service.published_files(draft)
    changed = reviews_service.changes(published, draft_files(draft))
    return (
        render_template(
            "studio/review.html",
            draft=draft,
            form=form,
            changes=changed,
            check=check_of(draft),
            reviews=reviews_service.reviews_of(draft),
            error=error,
            note_rows=[
                (
                    request.form.get(f"note_path-{i}", ""),
                    request.form.get(f"note_line-{i}", ""),
                    request.form.get(f"note_body-{i}", ""),
                )
                for i in range(1, NOTE_ROWS + 1)
            ],
            is_owner=draft.owner_id == current_account().id,
        ),
        status,
    )


@bp.post("/drafts/<int:draft_id>/submit", endpoint="submit")
@roles_required(AUTHOR)
def submit(draft_id: int) -> ResponseReturnValue:
    """Ask another author or an admin to review the draft."""
    draft = own_draft(draft_id)
    form = SubmitForm()
    if not form.validate_on_submit():
        error = next(iter(form.errors.values()))[0]
        return editor_page(draft, error=error, status=400)
    try:
        reviews_service.submit(draft, current_account(), form.message.data)
    except StudioError as error:
        return editor_page(draft, error=error.message, status=400)
    flash(
        "Submitted for review. Another author or an admin reviews it next.", "success"
    )
    return redirect(url_for("studio.editor", draft_id=draft.id))


@bp.get("/drafts/<int:draft_id>/review", endpoint="review")
@roles_required(AUTHOR)
def review_page(draft_id: int) -> ResponseReturnValue:
    """The draft against the published module, file by file, side by side."""
    return _review_page(load_draft(draft_id), ReviewForm(formdata=None))


def _notes(files: set[str]) -> list[tuple[str, int, str]]:
    """The line notes filled in on the review form (rows left empty skipped)."""
    notes = []
    for i in range(1, NOTE_ROWS + 1):
        body = request.form.get(f"note_body-{i}", "").strip()
        if not body:
            continue
        path = request.form.get(f"note_path-{i}", "")
        line = parse_id(request.form.get(f"note_line-{i}", "").strip())
        if path not in files or not line:
            raise StudioError(
                f"Line comment {i}: choose one of the changed files and give a line "
                "number (the numbers in the diff's right-hand column)."
            )
        if len(body) > NOTE_MAX:
            raise StudioError(f"Line comment {i}: keep it to {NOTE_MAX} characters.")
        notes.append((path, line, body))
    return notes


@bp.post("/drafts/<int:draft_id>/review", endpoint="send_review")
@roles_required(AUTHOR)
def send_review(draft_id: int) -> ResponseReturnValue:
    """Approve, request changes or comment, with line notes."""
    draft = load_draft(draft_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _review_page(draft, form, status=400)
    try:
        notes = _notes(
            set(draft_files(draft)) | set(reviews_service.published_files(draft))
        )
        reviews_service.review(
            draft, current_account(), form.decision.data, form.body.data or "", notes
        )
    except StudioError as error:
        return _review_page(draft, form, error.message, 400)
    words = {
        "approve": "Approved: the draft can be published.",
        "request_changes": "Changes requested: the author sees your comments.",
        "comment": "Comment sent.",
    }
    flash(words[form.decision.data], "success")
    return redirect(url_for("studio.review", draft_id=draft.id))


@bp.post("/drafts/<int:draft_id>/publish", endpoint="publish")
@roles_required(AUTHOR)
def publish(draft_id: int) -> ResponseReturnValue:
    """Publish the draft as the module's next revision (version raised)."""
    draft = load_draft(draft_id)
    if draft.state == "published":  # a second click on Publish: already done
        flash(f"Draft {draft.id} is published (revision {draft.published_number}).")
        return redirect(url_for("studio.history", module_id=draft.module_id))
    form = PublishForm()
    if not form.validate_on_submit():
        return editor_page(draft, error=next(iter(form.errors.values()))[0], status=400)
    required = reviews_service.review_required(current_app.config)
    try:
        outcome = reviews_service.publish(
            draft, current_account(), form.version.data.strip(), required=required
        )
    except PublishError as error:
        return editor_page(draft, error=" ".join(error.lines()), status=400)
    except StudioError as error:
        return editor_page(draft, error=error.message, status=400)
    flash(
        f"Published revision {outcome.revision.number} (version "
        f"{outcome.revision.version}). Every host serves it within seconds.",
        "success",
    )
    return redirect(url_for("studio.history", module_id=draft.module_id))


@bp.post("/drafts/<int:draft_id>/rebase", endpoint="rebase")
@roles_required(AUTHOR)
def rebase(draft_id: int) -> ResponseReturnValue:
    """Move a stale draft onto the published revision."""
    draft = own_draft(draft_id)
    try:
        outcome = rebase_service.rebase(
            draft, seen_version(request.form.get("lock_version"))
        )
    except StudioError as error:
        return editor_page(draft, error=error.message, status=409)
    parts = [f"took the published {', '.join(outcome.taken)}" if outcome.taken else ""]
    if outcome.conflicts:
        parts.append(
            f"{', '.join(outcome.conflicts)} changed in both: compare them below"
        )
    flash(
        "Brought up to date: "
        + ("; ".join(p for p in parts if p) or "your files were kept")
        + ".",
        "success",
    )
    return redirect(url_for("studio.editor", draft_id=draft.id))


@bp.post("/drafts/<int:draft_id>/settle", endpoint="settle")
@roles_required(AUTHOR)
def settle(draft_id: int) -> ResponseReturnValue:
    """Keep the author's version of a both-changed file, or take the published one."""
    draft = own_draft(draft_id)
    path = request.form.get("path", "")
    try:
        rebase_service.settle(
            draft,
            path,
            request.form.get("keep", ""),
            seen_version(request.form.get("lock_version")),
        )
    except StudioError as error:
        return editor_page(draft, error=error.message, status=409)
    flash(f"Settled {path}.", "success")
    return redirect(url_for("studio.editor", draft_id=draft.id, file=path))
