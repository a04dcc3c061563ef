"""The trainee's journal: reflections from vignettes and free entries per module.

Entries are private unless the trainee switches sharing on. Text is stored as
typed and only ever shown escaped; downloads carry it verbatim.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.learning.course import current_catalog
from kaptrain.learning.unit_of_work import announce
from kaptrain.models import JournalEntry, User, utcnow
from kaptrain.people import audit
from kaptrain.platform.database import begin_write


def entries(user_id: int) -> list[JournalEntry]:
    """The user's entries, newest first."""
    return list(
        db.session.execute(
            select(JournalEntry)
            .where(JournalEntry.user_id == user_id)
            .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
        ).scalars()
    )


def entry_or_none(user_id: int, entry_id: int) -> JournalEntry | None:
    """The user's own entry, else None (another trainee's entry is not found)."""
    entry = db.session.get(JournalEntry, entry_id)
    return entry if entry is not None and entry.user_id == user_id else None


def add_entry(user: User, module_id: str, body: str, shared: bool) -> JournalEntry:
    """Save a free entry about a module."""
    now = utcnow()
    entry = JournalEntry(
        user_id=user.id,
        module_id=module_id,
        prompt="",
        body=body,
        shared=shared,
        created_at=now,
        updated_at=now,
    )
    db.session.add(entry)
    if shared:
        db.session.flush()
        _announce_shared(user, entry)
    db.session.commit()
    return entry


def edit_entry(entry: JournalEntry, body: str, shared: bool) -> None:
    """Replace an entry's text and sharing."""
    if shared and not entry.shared:
        _announce_shared(db.session.get(User, entry.user_id), entry)
    entry.body = body
    entry.shared = shared
    entry.updated_at = utcnow()
    db.session.commit()


def set_shared(entry: JournalEntry, shared: bool) -> None:
    """Share an entry with the trainee's supervisors, or make it private again."""
    if shared and not entry.shared:
        _announce_shared(db.session.get(User, entry.user_id), entry)
    entry.shared = shared
    db.session.commit()


def _announce_shared(user: User | None, entry: JournalEntry) -> None:
    """Tell the in-transaction hooks (xAPI) that an entry was shared: which entry
    and where from, never its text."""
    if user is None:
        return
    module_id = entry.module_id or ""
    announce(
        user,
        current_catalog().get(module_id),
        module_id,
        entry.vignette_id,
        kind="reflection_shared",
        outcome={
            "entry_id": entry.id,
            "run_id": entry.run_id,
            "node_id": entry.node_id,
        },
    )


def delete_entry(entry: JournalEntry) -> None:
    """Delete an entry and its comments."""
    db.session.delete(entry)
    db.session.commit()


def _titles(entry: JournalEntry) -> tuple[str | None, str | None]:
    module = current_catalog().get(entry.module_id or "")
    if module is None:
        return entry.module_id, entry.vignette_id
    vignette = module.item(entry.vignette_id or "") if entry.vignette_id else None
    return module.title, vignette.title if vignette is not None else entry.vignette_id


def as_json(user: User, rows: list[JournalEntry]) -> str:
    """The whole journal as JSON."""
    data: list[dict[str, Any]] = []
    for entry in rows:
        module_title, vignette_title = _titles(entry)
        data.append(
            {
                "id": entry.id,
                "module_id": entry.module_id,
                "module_title": module_title,
                "vignette_id": entry.vignette_id,
                "vignette_title": vignette_title,
                "node_id": entry.node_id,
                "prompt": entry.prompt,
                "body": entry.body,
                "shared": entry.shared,
                "created_at": entry.created_at.isoformat(),
                "updated_at": entry.updated_at.isoformat(),
                "comments": [
                    {
                        "author": c.author.name if c.author else None,
                        "body": c.body,
                        "created_at": c.created_at.isoformat(),
                    }
                    for c in entry.comments
                ],
            }
        )
    return json.dumps(
        {"trainee": user.name, "exported_at": utcnow().isoformat(), "entries": data},
        ensure_ascii=False,
        indent=2,
    )


def _quote(text: str) -> str:
    # Blockquoting every line keeps a trainee's "# heading" or "---" as their
    # text in any Markdown viewer, instead of turning into structure.
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines()) or ">"


def as_markdown(user: User, rows: list[JournalEntry]) -> str:
    """The whole journal as a Markdown document."""
    lines = [
        f"# Journal of {user.name}",
        "",
        f"Exported {utcnow():%Y-%m-%d %H:%M} UTC",
        "",
    ]
    for entry in rows:
        module_title, vignette_title = _titles(entry)
        heading = module_title or "General"
        if vignette_title:
            heading += f": {vignette_title}"
        lines += [f"## {heading}", ""]
        lines.append(
            f"Written {entry.created_at:%Y-%m-%d %H:%M} UTC · "
            f"{'shared with my supervisor' if entry.shared else 'private'}"
        )
        lines.append("")
        if entry.prompt:
            lines += [f"Prompt: {entry.prompt.strip()}", ""]
        lines += [_quote(entry.body), ""]
        for comment in entry.comments:
            author = comment.author.name if comment.author else "A supervisor"
            lines += [f"Comment from {author}:", "", _quote(comment.body), ""]
    return "\n".join(lines)


def record_download(user: User, fmt: str) -> None:
    """Audit that the trainee downloaded their journal as ``journal.<fmt>``."""
    begin_write()
    audit.record("data_downloaded", actor=user, subject=user, detail=f"journal.{fmt}")
    db.session.commit()
