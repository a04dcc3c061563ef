"""Uploads into a draft: a single .md/.yaml file, an image with alt text, or a
whole module as a .zip (kaptrain.authoring.uploads checks each one)."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from kaptrain.authoring.drafts import StudioError, draft_files, write_files
from kaptrain.authoring.uploads import UploadError, accept_file, accept_zip
from kaptrain.models import AUTHOR
from kaptrain.people.access import roles_required
from kaptrain.web.studio.common import limits, own_draft, seen_version
from kaptrain.web.studio.editor_views import MAX_TEXT, editor_page
from kaptrain.web.studio.views import bp

#: Form fields beside the file itself (CSRF token, alt text, version).
FORM_SLACK = 64 * 1024


@bp.url_value_preprocessor
def _request_limits(endpoint: str | None, _values: object) -> None:
    """Raise this request's body limit for uploads and long saves.

    URL value preprocessors run before the CSRF check reads the form, so the
    site-wide ``KAPTRAIN_MAX_CONTENT_LENGTH`` still applies everywhere else.
    """
    if endpoint == "studio.upload":
        size = current_app.config["STUDIO_MAX_TOTAL_BYTES"] + FORM_SLACK
        request.max_content_length = size
        request.max_form_memory_size = FORM_SLACK
    elif endpoint in ("studio.save", "studio.check"):
        request.max_content_length = 2 * MAX_TEXT
        request.max_form_memory_size = 2 * MAX_TEXT


def _uploaded() -> tuple[str, bytes]:
    stored = request.files.get("upload")
    if stored is None or not stored.filename:
        raise UploadError("Choose a file to upload.")
    data = stored.read(limits().total_bytes + 1)
    return stored.filename, data


@bp.post("/drafts/<int:draft_id>/upload", endpoint="upload")
@roles_required(AUTHOR)
def upload(draft_id: int) -> ResponseReturnValue:
    """Add one file (or replace every file from a module zip)."""
    draft = own_draft(draft_id)
    version = seen_version(request.form.get("lock_version"))
    alt = request.form.get("alt", "")
    try:
        name, data = _uploaded()
        if name.lower().endswith(".zip"):
            files = accept_zip(data, limits())
            old = tuple(p for p in draft_files(draft) if p not in files)
            notice = write_files(draft, files, version, remove=old)
            message = f"Replaced the draft's files with the {len(files)} in {name}."
            path = "module.md"
        else:
            path, body = accept_file(name, data, alt, draft_files(draft), limits())
            notice = write_files(draft, {path: body}, version, alts={path: alt.strip()})
            message = f"Uploaded {path}."
            if path.startswith("media/"):
                message += f" Show it in a lesson with: ![{alt.strip()}]({path})"
    except StudioError as error:
        return editor_page(draft, error=f"Not uploaded: {error.message}", status=400)
    if notice:
        flash(notice, "info")
    flash(message, "success")
    return redirect(url_for("studio.editor", draft_id=draft.id, file=path))
