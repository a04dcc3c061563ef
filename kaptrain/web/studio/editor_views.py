"""The draft editor: one file at a time in a textarea, the checker's problems
beside their lines, files added, renamed, deleted and uploaded.

Every action is a form post that works without JavaScript. A refused save
re-renders the editor with the text as typed (status 409 or 400), so nothing
is lost. ``studio.js`` adds live checking and preview through ``check``.
"""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from kaptrain.authoring import drafts as drafts_service
from kaptrain.authoring.drafts import StaleForm, StudioError, draft_files
from kaptrain.authoring.rebase import conflict_views, staleness
from kaptrain.authoring.reviews import (
    may_publish,
    proposed_versions,
    review_required,
    reviews_of,
)
from kaptrain.authoring.workspace import as_text, check_draft, numbered_lines
from kaptrain.models import AUTHOR, ContentDraft
from kaptrain.people.access import roles_required
from kaptrain.people.accounts import current_account
from kaptrain.web.studio.common import check_of, load_draft, own_draft, seen_version
from kaptrain.web.studio.forms import PublishForm, SubmitForm
from kaptrain.web.studio.views import bp

#: The most text a save or live check accepts (a module file is far smaller).
MAX_TEXT = 2 * 1024 * 1024


def _current_path(draft: ContentDraft, files: dict[str, bytes]) -> str:
    wanted = request.args.get("file", "")
    if wanted in files:
        return wanted
    return "module.md" if "module.md" in files else next(iter(sorted(files)), "")


def editor_page(
    draft: ContentDraft,
    path: str | None = None,
    typed: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """Render the editor on ``path``; ``typed`` keeps text a refused save had."""
    files = draft_files(draft)
    path = path if path is not None else _current_path(draft, files)
    check = check_of(draft)
    saved = as_text(files[path]) if path in files else None
    me = current_account()
    publish_form = PublishForm(formdata=None)
    versions = proposed_versions(draft)
    publish_form.version.data = versions["offer"]
    return (
        render_template(
            "studio/editor.html",
            draft=draft,
            files=sorted(files),
            sizes={p: len(d) for p, d in files.items()},
            alts={f.path: f.alt for f in draft.files},
            path=path,
            text=typed if typed is not None else saved,
            lines=numbered_lines(saved) if saved is not None else [],
            check=check,
            by_line=check.by_line(path),
            counts=check.counts(),
            editable=drafts_service.may_edit(me, draft),
            error=error,
            stale=staleness(draft),
            conflicts=conflict_views(draft) if draft.conflict_paths else [],
            submit_form=SubmitForm(formdata=None, message=draft.message),
            publish_form=publish_form,
            versions=versions,
            publish_block=may_publish(draft, me, review_required(current_app.config)),
            reviews=reviews_of(draft),
        ),
        status,
    )


@bp.get("/drafts/<int:draft_id>", endpoint="editor")
@roles_required(AUTHOR)
def editor(draft_id: int) -> ResponseReturnValue:
    """The editor on one file of a draft (read-only for anyone but its owner)."""
    return editor_page(load_draft(draft_id))


def _edit(draft_id: int, action: str) -> ResponseReturnValue:
    """Run one file action from the form and go back to the editor."""
    draft = own_draft(draft_id)
    form = request.form
    version = seen_version(form.get("lock_version"))
    path = form.get("path", "")
    try:
        if action == "add":
            notice = drafts_service.add_file(
                draft, form.get("new_path", "").strip(), version
            )
            path = form.get("new_path", "").strip()
        elif action == "rename":
            new = form.get("new_path", "").strip()
            notice = drafts_service.rename_file(draft, path, new, version)
            path = new
        else:
            notice = drafts_service.delete_file(draft, path, version)
            path = "module.md"
    except StudioError as error:
        return editor_page(draft, error=error.message, status=400)
    flash(notice or "Done.", "success")
    return redirect(url_for("studio.editor", draft_id=draft.id, file=path))


@bp.post("/drafts/<int:draft_id>/save", endpoint="save")
@roles_required(AUTHOR)
def save(draft_id: int) -> ResponseReturnValue:
    """Save one file's text; the checker's findings show beside its lines."""
    draft = own_draft(draft_id)
    path = request.form.get("path", "")
    text = request.form.get("text", "")
    if len(text) > MAX_TEXT:
        return editor_page(
            draft, path, text, "This file is too long to save (2 MB at most).", 400
        )
    try:
        notice = drafts_service.save_text(
            draft, path, text, seen_version(request.form.get("lock_version"))
        )
    except StaleForm as error:
        return editor_page(draft, path, text, error.message, 409)
    except StudioError as error:
        return editor_page(
            draft,
            path if path in draft_files(draft) else None,
            text,
            error.message,
            400,
        )
    problems = check_of(draft).for_file(path)
    if notice:
        flash(notice, "info")
    flash(
        f"Saved {path}. "
        + (
            f"The checker found {len(problems)} problem"
            f"{'' if len(problems) == 1 else 's'} in it, shown beside the lines."
            if problems
            else "The checker found no problems in it."
        ),
        "success",
    )
    return redirect(url_for("studio.editor", draft_id=draft.id, file=path))


@bp.post("/drafts/<int:draft_id>/files", endpoint="add_file")
@roles_required(AUTHOR)
def add_file(draft_id: int) -> ResponseReturnValue:
    """Add an empty .md or .yaml file."""
    return _edit(draft_id, "add")


@bp.post("/drafts/<int:draft_id>/rename", endpoint="rename_file")
@roles_required(AUTHOR)
def rename_file(draft_id: int) -> ResponseReturnValue:
    """Rename one file."""
    return _edit(draft_id, "rename")


@bp.post("/drafts/<int:draft_id>/delete", endpoint="delete_file")
@roles_required(AUTHOR)
def delete_file(draft_id: int) -> ResponseReturnValue:
    """Delete one file."""
    return _edit(draft_id, "delete")


@bp.post("/drafts/<int:draft_id>/check", endpoint="check")
@roles_required(AUTHOR)
def live_check(draft_id: int) -> ResponseReturnValue:
    """JSON for studio.js: the problems of the draft with this file's unsaved
    text, and the rendered preview of that file. Nothing is stored."""
    from kaptrain.web.studio.preview_views import live_preview_html

    draft = load_draft(draft_id)
    path = request.form.get("path", "")
    text = request.form.get("text", "")
    if path not in draft_files(draft) or len(text) > MAX_TEXT:
        return jsonify(error="Unknown file or text too long."), 400
    files = {**draft_files(draft), path: text.replace("\r\n", "\n").encode("utf-8")}
    result = check_draft(files, folder=draft.folder, module_id=draft.module_id)
    problems = [p.as_dict() for p in result.problems]
    return jsonify(
        path=path,
        problems=problems,
        errors=len(result.errors),
        preview=live_preview_html(draft, files, path, result),
    )
