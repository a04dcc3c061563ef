"""The studio's rows of the access matrix (tests/test_access_matrix.py).

Every studio route is open to authors and admins only. Reading a draft (editor,
preview, review, live check) is open to every author and admin; changing it is
for its owner alone, so the rows that change a draft expect the author (who
owns it) to succeed and the admin (who does not) to get 403; an admin's own
drafts are tested in tests/test_studio_flow.py. Cells that change state get a
fresh draft from ``prepare``.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

PLAIN_LESSON = "01-defining-racial-trauma.md"


def _published(w: Any) -> str:
    """Publish the world's module folder once (the studio works on the store)."""
    from kaptrain.authoring.transfer import import_folder

    if "studio_module" not in w.extra:
        with w.app.app_context():
            report = import_folder(w.app.config["MODULES_DIR"], message="matrix")
            assert report.ok, report.lines()
        w.extra["studio_module"] = "complete-module"
    return w.extra["studio_module"]


def fresh_draft(
    w: Any, *, stale: bool = False, conflict: bool = False, owner_role: str = "author"
) -> dict[str, Any]:
    """A new draft of the module, owned by the world's author (or ``owner_role``)."""
    from kaptrain.authoring import store
    from kaptrain.authoring.drafts import discard, open_drafts, start_draft
    from kaptrain.authoring.reviews import proposed_versions, set_version
    from kaptrain.authoring.revisions import publish_revision
    from kaptrain.extensions import db
    from kaptrain.models import ContentDraft, User

    module = _published(w)
    with w.app.app_context():
        owner = db.session.get(User, w.users[owner_role].id)
        for old in open_drafts(module):  # one open draft per author and module
            if old.owner_id == owner.id and old.id != w.extra.get("studio_draft"):
                discard(old, owner)
        draft = start_draft(module, owner)
        if stale:
            files = store.read_files(store.current_revision(module))
            files = set_version(files, proposed_versions(draft)["patch"])
            publish_revision(
                module, files, author=owner, message="underneath", source="studio"
            )
        if conflict:
            row = db.session.get(ContentDraft, draft.id)
            row.conflicts = PLAIN_LESSON
            db.session.commit()
        row = db.session.get(ContentDraft, draft.id)
        return {
            "draft": row.id,
            "lock": str(row.lock_version),
            "version": proposed_versions(row)["patch"],
        }


def _modules_list(w: Any, _params: Any) -> str:
    _published(w)  # so that the list has a module on it
    return "/studio/"


def _shared_draft(w: Any) -> int:
    if "studio_draft" not in w.extra:
        # The admin's: the author's drafts are replaced cell by cell.
        w.extra["studio_draft"] = fresh_draft(w, owner_role="admin")["draft"]
    return w.extra["studio_draft"]


def studio_routes(
    route: Any, cells: Any, author: Any, login: str, ok: str
) -> tuple[Any, ...]:
    """The rows, built with the matrix's own Route and cells."""
    owner = cells(login, 403, 403, 403, 403, ok, 403)
    # The admin is no owner, and nobody approved the draft: the publish form
    # says so (400) and publishes nothing.
    publisher = cells(login, 403, 403, 403, 403, ok, 400)

    def d(path: str = "") -> Any:
        return lambda w, _p: f"/studio/drafts/{_shared_draft(w)}{path}"

    def p(path: str = "") -> Any:
        return lambda _w, params: f"/studio/drafts/{params['draft']}{path}"

    def lock(**extra: Any) -> Any:
        return lambda _w, params: {"lock_version": params["lock"], **extra}

    def module(path: str) -> Any:
        return lambda w, _p: f"/studio/modules/{_published(w)}{path}"

    rule = "/studio/drafts/<int:draft_id>"
    return (
        route("/studio/", "GET", _modules_list, author),
        route(
            "/studio/new",
            "POST",
            lambda _w, _p: "/studio/new",
            author,
            data=lambda _w, _p: {
                "module_id": f"m-{uuid.uuid4().hex[:8]}",
                "title": "New",
            },
        ),
        route("/studio/modules/<module_id>/drafts", "POST", module("/drafts"), author),
        route("/studio/modules/<module_id>/history", "GET", module("/history"), author),
        route(
            "/studio/modules/<module_id>/revisions/<int:number>",
            "GET",
            module("/revisions/1"),
            author,
        ),
        route(
            "/studio/modules/<module_id>/rollback",
            "POST",
            module("/rollback"),
            author,
            data=lambda _w, _p: {"number": "1"},
        ),
        route(rule, "GET", d(), author),
        route(rule + "/preview", "GET", d("/preview"), author),
        route(rule + "/preview/<item_id>", "GET", d("/preview/post-test"), author),
        route(rule + "/media/<path:filename>", "GET", d("/media/model.png"), author),
        route(rule + "/review", "GET", d("/review"), author),
        route(
            rule + "/check",
            "POST",
            d("/check"),
            author,
            ok=(200,),
            data=lambda _w, _p: {
                "path": "module.md",
                "text": "---\nkind: module\n---\n",
            },
        ),
        route(
            rule + "/review",
            "POST",
            p("/review"),
            author,
            prepare=fresh_draft,
            data=lambda _w, _p: {"decision": "comment", "body": "A comment."},
        ),
        route(
            rule + "/save",
            "POST",
            p("/save"),
            owner,
            prepare=fresh_draft,
            data=lock(path="evaluation.md", text="changed\n"),
        ),
        route(
            rule + "/files",
            "POST",
            p("/files"),
            owner,
            prepare=fresh_draft,
            data=lock(new_path="extra.md"),
        ),
        route(
            rule + "/rename",
            "POST",
            p("/rename"),
            owner,
            prepare=fresh_draft,
            data=lock(path=PLAIN_LESSON, new_path="renamed.md"),
        ),
        route(
            rule + "/delete",
            "POST",
            p("/delete"),
            owner,
            prepare=fresh_draft,
            data=lock(path=PLAIN_LESSON),
        ),
        route(
            rule + "/upload",
            "POST",
            p("/upload"),
            owner,
            prepare=fresh_draft,
            data=lambda _w, params: {
                "lock_version": params["lock"],
                "upload": (io.BytesIO(b"# notes\n"), "notes.md"),
            },
        ),
        route(
            rule + "/submit",
            "POST",
            p("/submit"),
            owner,
            prepare=fresh_draft,
            data=lambda _w, _p: {"message": "Ready"},
        ),
        route(
            rule + "/publish",
            "POST",
            p("/publish"),
            publisher,
            prepare=fresh_draft,
            data=lambda _w, params: {"version": params["version"]},
        ),
        route(
            rule + "/rebase",
            "POST",
            p("/rebase"),
            owner,
            prepare=lambda w: fresh_draft(w, stale=True),
            data=lock(),
        ),
        route(
            rule + "/settle",
            "POST",
            p("/settle"),
            owner,
            prepare=lambda w: fresh_draft(w, conflict=True),
            data=lock(path=PLAIN_LESSON, keep="mine"),
        ),
        route(rule + "/discard", "POST", p("/discard"), owner, prepare=fresh_draft),
    )
