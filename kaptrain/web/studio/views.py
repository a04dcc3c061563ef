"""The studio's modules list: published modules, drafts, who is editing, open
reviews; start a draft or a new module from the template."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from kaptrain.authoring import store
from kaptrain.authoring.drafts import (
    StudioError,
    discard,
    new_module_draft,
    open_drafts,
    start_draft,
    user_names,
)
from kaptrain.authoring.rebase import staleness
from kaptrain.learning.course import content_state
from kaptrain.models import AUTHOR, ContentDraft, ContentRevision
from kaptrain.people.access import roles_required
from kaptrain.people.accounts import current_account
from kaptrain.web.studio.common import STATE_BADGES, STATE_WORDS, own_draft
from kaptrain.web.studio.forms import NewModuleForm

bp = Blueprint("studio", __name__, url_prefix="/studio")


@bp.context_processor
def studio_words() -> dict[str, object]:
    """State words and badge classes for the studio's templates."""
    return {"state_words": STATE_WORDS, "state_badges": STATE_BADGES}


@dataclass(frozen=True)
class ModuleRow:
    """One module on the studio's list."""

    module_id: str
    title: str
    revision: ContentRevision | None
    drafts: tuple[ContentDraft, ...]

    @property
    def reviews(self) -> tuple[ContentDraft, ...]:
        """Drafts waiting for a review."""
        return tuple(d for d in self.drafts if d.state == "in_review")


def _rows() -> list[ModuleRow]:
    catalog = content_state().current()
    drafts = open_drafts()
    published = store.published()
    rows = []
    for module_id, revision in sorted(published.items()):
        module = catalog.get(module_id)
        rows.append(
            ModuleRow(
                module_id=module_id,
                title=module.title if module is not None else module_id,
                revision=revision,
                drafts=tuple(d for d in drafts if d.module_id == module_id),
            )
        )
    for draft in drafts:
        if draft.module_id not in published:
            rows.append(ModuleRow(draft.module_id, draft.module_id, None, (draft,)))
    return rows


def _list_page(form: NewModuleForm, status: int = 200) -> ResponseReturnValue:
    rows = _rows()
    owners = user_names({d.owner_id for r in rows for d in r.drafts})
    return (
        render_template(
            "studio/modules.html",
            rows=rows,
            owners=owners,
            form=form,
            me=current_account(),
            folder_mode=current_app.config.get("CONTENT_SOURCE") == "folder",
            stale={d.id: staleness(d) for r in rows for d in r.drafts},
        ),
        status,
    )


@bp.get("/", endpoint="modules")
@roles_required(AUTHOR)
def modules() -> ResponseReturnValue:
    """Every module with its published revision, drafts and open reviews."""
    return _list_page(NewModuleForm())


@bp.post("/new", endpoint="new_module")
@roles_required(AUTHOR)
def new_module() -> ResponseReturnValue:
    """Start a new module from the template (it checks clean)."""
    form = NewModuleForm()
    if not form.validate_on_submit():
        return _list_page(form, 400)
    try:
        draft = new_module_draft(
            form.module_id.data.strip(), form.title.data, current_account()
        )
    except StudioError as error:
        form.module_id.errors = [error.message]
        return _list_page(form, 400)
    flash("New module started from the template. Replace the guidance text.", "success")
    return redirect(url_for("studio.editor", draft_id=draft.id))


@bp.post("/modules/<module_id>/drafts", endpoint="start_draft")
@roles_required(AUTHOR)
def start(module_id: str) -> ResponseReturnValue:
    """Start a draft of a published module (a private copy of its files)."""
    try:
        draft = start_draft(module_id, current_account())
    except StudioError as error:
        flash(error.message, "error")
        return redirect(url_for("studio.modules"))
    return redirect(url_for("studio.editor", draft_id=draft.id))


@bp.post("/drafts/<int:draft_id>/discard", endpoint="discard")
@roles_required(AUTHOR)
def discard_draft(draft_id: int) -> ResponseReturnValue:
    """Delete a draft that is not published (its owner only)."""
    draft = own_draft(draft_id)
    try:
        discard(draft, current_account())
    except StudioError as error:
        flash(error.message, "error")
    else:
        flash("The draft was discarded.", "success")
    return redirect(url_for("studio.modules"))
