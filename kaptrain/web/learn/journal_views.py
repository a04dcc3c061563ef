"""The journal: list, free entries, edit, share switch, delete, downloads."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kaptrain.learning.course import current_catalog
from kaptrain.models import JOURNAL_MAX, TRAINEE, JournalEntry
from kaptrain.people.access import deny, roles_required
from kaptrain.people.accounts import current_account
from kaptrain.platform import throttle
from kaptrain.web.learn.forms import JournalEditForm, JournalEntryForm
from kaptrain.web.learn.journal import (
    add_entry,
    as_json,
    as_markdown,
    delete_entry,
    edit_entry,
    entries,
    entry_or_none,
    record_download,
    set_shared,
)
from kaptrain.web.learn.views import bp


def _module_choices() -> list[tuple[str, str]]:
    return [(m.id, m.title) for m in current_catalog().modules]


def _titles() -> dict[str, str]:
    titles: dict[str, str] = {}
    for module in current_catalog().modules:
        titles[module.id] = module.title
        for vignette in module.vignettes:
            titles[f"{module.id}/{vignette.id}"] = vignette.title
    return titles


def _entry_or_404(entry_id: int) -> JournalEntry:
    entry = entry_or_none(current_account().id, entry_id)
    if entry is None:
        deny()
    return entry


def _render_journal(form: JournalEntryForm) -> ResponseReturnValue:
    return render_template(
        "learn/journal.html",
        entries=entries(current_account().id),
        form=form,
        titles=_titles(),
        journal_max=JOURNAL_MAX,
    )


@bp.get("/journal")
@roles_required(TRAINEE)
def journal() -> ResponseReturnValue:
    """Every entry, newest first, with a form for a new one."""
    form = JournalEntryForm(formdata=None)
    form.module_id.choices = [("", "Choose a module"), *_module_choices()]
    wanted = request.args.get("module", "")
    if wanted in dict(_module_choices()):
        form.module_id.data = wanted
    return _render_journal(form)


@bp.post("/journal")
@roles_required(TRAINEE)
def new_entry() -> ResponseReturnValue:
    """Save a free entry; errors keep the text in the form."""
    form = JournalEntryForm()
    form.module_id.choices = [("", "Choose a module"), *_module_choices()]
    if not form.validate_on_submit():
        return _render_journal(form)
    paused = throttle.journal_write(current_account().id)
    if paused:
        form.body.errors = [paused]
        return _render_journal(form), 429
    add_entry(
        current_account(),
        form.module_id.data or "",
        form.body.data or "",
        form.shared.data,
    )
    flash("Entry saved." + ("" if form.shared.data else " It is private."), "success")
    return redirect(url_for("learn.journal"))


@bp.route("/journal/<int:entry_id>/edit", methods=["GET", "POST"])
@roles_required(TRAINEE)
def edit(entry_id: int) -> ResponseReturnValue:
    """Edit an entry's text and sharing."""
    entry = _entry_or_404(entry_id)
    form = JournalEditForm(obj=entry) if request.method == "GET" else JournalEditForm()
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        paused = throttle.journal_write(current_account().id)
        if not paused:
            edit_entry(entry, form.body.data or "", form.shared.data)
            flash("Entry updated.", "success")
            return redirect(url_for("learn.journal") + f"#entry-{entry.id}")
        form.body.errors = [paused]
        status = 429
    return render_template(
        "learn/journal_edit.html",
        entry=entry,
        form=form,
        titles=_titles(),
        journal_max=JOURNAL_MAX,
    ), status


@bp.post("/journal/<int:entry_id>/share")
@roles_required(TRAINEE)
def share(entry_id: int) -> ResponseReturnValue:
    """Switch sharing with the supervisor on or off."""
    entry = _entry_or_404(entry_id)
    shared = request.form.get("shared") == "1"
    set_shared(entry, shared)
    flash(
        "Entry shared with your supervisor."
        if shared
        else "Entry is private again: your supervisor can no longer see it.",
        "success",
    )
    return redirect(url_for("learn.journal") + f"#entry-{entry.id}")


@bp.route("/journal/<int:entry_id>/delete", methods=["GET", "POST"])
@roles_required(TRAINEE)
def delete(entry_id: int) -> ResponseReturnValue:
    """Ask to confirm, then delete an entry."""
    entry = _entry_or_404(entry_id)
    if request.method == "POST":
        delete_entry(entry)
        flash("Entry deleted.", "success")
        return redirect(url_for("learn.journal"))
    return render_template("learn/journal_delete.html", entry=entry, titles=_titles())


@bp.get("/journal/journal.<fmt>")
@roles_required(TRAINEE)
def download(fmt: str) -> ResponseReturnValue:
    """The whole journal as Markdown (``journal.md``) or JSON (``journal.json``)."""
    if fmt not in {"md", "json"}:
        abort(404)
    user = current_account()
    rows = entries(user.id)
    body = as_markdown(user, rows) if fmt == "md" else as_json(user, rows)
    record_download(user, fmt)
    mimetype = "text/markdown" if fmt == "md" else "application/json"
    return Response(
        body,
        mimetype=f"{mimetype}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="journal.{fmt}"'},
    )
