"""A host follows the published version.

With ``KAPTRAIN_CONTENT_SOURCE=database`` (the default) the catalog is built from
``instance/published/`` (``PUBLISHED_DIR``), which holds the current revision of
every published module, written from the database:

* at start-up, before the catalog is first built (so a host serves what is
  published, not whatever folder it has);
* when a worker notices a new content version. Each worker compares the
  ``content_version`` counter (one indexed one-row SELECT on its own
  connection) at most once per ``KAPTRAIN_CONTENT_POLL_SECONDS``, in a
  ``before_request`` hook; the other requests cost one clock read. On a change
  it writes the changed modules' folders and rebuilds the catalog with the usual
  pipeline: unchanged modules are reused, only changed ones are rendered.

The workers of one host share ``PUBLISHED_DIR``: writes hold an exclusive lock
on ``PUBLISHED_DIR/.lock`` and compare the manifest (``.published.json``: the
revision written for each module), so the second worker to notice a version
writes nothing and just rebuilds. A module folder is replaced atomically: the
new files are written to a hidden temporary folder, which is then renamed into
place (hidden names are never read by the catalog).

In development (``KAPTRAIN_CONTENT_AUTO_RELOAD``) files edited under
``KAPTRAIN_MODULES_DIR`` are imported as they change (a stat fingerprint at most
once a second), so the edit-and-refresh loop works as it did with folders.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from kaptrain.authoring import store
from kaptrain.authoring.checking import write_tree
from kaptrain.extensions import db
from kaptrain.platform.database import set_write_intent

log = logging.getLogger("kaptrain.authoring.sync")

MANIFEST = ".published.json"
LOCK = ".lock"
#: How often (at most) development checks the modules folder for edits.
EDIT_CHECK_SECONDS = 1.0


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold the host-wide lock on ``directory`` (workers of one host share it)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_manifest(directory: Path) -> dict[str, dict[str, object]]:
    """``{module_id: {"revision": id, "folder": name, "hash": content hash}}``
    as last written."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    modules = data.get("modules") if isinstance(data, dict) else None
    return modules if isinstance(modules, dict) else {}


def _write_manifest(directory: Path, modules: dict[str, dict[str, object]]) -> None:
    temporary = directory / f".manifest-{uuid.uuid4().hex}"
    temporary.write_text(json.dumps({"modules": modules}, indent=1), encoding="utf-8")
    os.replace(temporary, directory / MANIFEST)


def _replace_folder(directory: Path, folder: str, files: dict[str, bytes]) -> None:
    """Put ``files`` at ``directory/folder``, swapping the whole folder at once."""
    token = uuid.uuid4().hex
    fresh = directory / f".new-{token}"
    write_tree(fresh, files)
    target = directory / folder
    if target.exists():
        old = directory / f".old-{token}"
        os.rename(target, old)
        os.rename(fresh, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(fresh, target)


def materialize(directory: Path, counter: int | None = None) -> int:
    """Write the published revisions under ``directory``; return the counter.

    ``counter`` is the content version the caller read just before (so it is
    not read twice); the published rows are read after it, so they are at
    least as new.

    Only modules whose revision differs from the manifest are written; folders
    of modules no longer published (and leftovers) are removed. Needs an app
    context; the session is left without a transaction.
    """
    if counter is None:
        counter = store.read_counter()
    with _locked(directory):
        # Read under the lock: whoever writes last wrote the newest rows.
        rows = store.published()
        manifest = read_manifest(directory)
        # The hash too: after a database restore a revision id may name
        # other files than it did when the manifest was written.
        wanted = {
            mid: {"revision": rev.id, "folder": rev.folder, "hash": rev.content_hash}
            for mid, rev in rows.items()
        }
        changed = [mid for mid in wanted if manifest.get(mid) != wanted[mid]]
        for mid in changed:
            _replace_folder(directory, rows[mid].folder, store.read_files(rows[mid]))
        keep = {str(entry["folder"]) for entry in wanted.values()}
        for path in directory.iterdir():
            stale = path.name.startswith((".new-", ".old-", ".manifest-"))
            if stale or (not path.name.startswith(".") and path.name not in keep):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        _write_manifest(directory, wanted)
    db.session.rollback()
    if changed:
        log.info(
            "content version %d: wrote %d module(s): %s",
            counter,
            len(changed),
            ", ".join(sorted(changed)),
        )
    return counter


@dataclass
class Follower:
    """One worker's view of the published version (kept in app.extensions)."""

    app: Flask
    directory: Path
    poll_seconds: float
    auto_import: bool
    modules_dir: Path
    seen: int | None = None
    checked_at: float = 0.0
    fingerprint: str | None = None
    edits_checked_at: float = 0.0
    polls: int = field(default=0)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        """Write the published version before the first catalog build."""
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            with self.app.app_context():
                self.seen = materialize(self.directory)
        except SQLAlchemyError as error:
            # Before `flask db upgrade` the tables do not exist; serve what was
            # written last (or nothing) and say what to do.
            reason = str(getattr(error, "orig", error)).splitlines()[0]
            log.warning(
                "cannot read published content (%s); serving %s as last written. "
                "Run `flask --app kaptrain db upgrade`, then `flask --app kaptrain "
                "content import`",
                reason,
                self.directory,
            )
            with self.app.app_context():
                db.session.rollback()
        self.checked_at = time.monotonic()

    def before_request(self) -> None:
        """At most one counter check per interval; rebuild when it moved.

        Runs before every other hook (see :func:`init_content_source`), while
        the request has no transaction: its reads are plain reads (no SQLite
        write lock), and it leaves no transaction behind.
        """
        now = time.monotonic()
        due = now - self.checked_at >= self.poll_seconds
        edits = self.auto_import and now - self.edits_checked_at >= EDIT_CHECK_SECONDS
        if not (due or edits):
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread of this worker is checking right now
        try:
            set_write_intent(False)
            if edits:
                self._import_edits(now)
            if now - self.checked_at >= self.poll_seconds:
                self.checked_at = now
                self.poll()
        finally:
            db.session.rollback()
            self._lock.release()

    def poll(self) -> bool:
        """Compare the counter now; on a change write files and rebuild."""
        self.polls += 1
        try:
            with db.engine.connect() as connection:
                counter = store.read_counter(connection)
        except SQLAlchemyError as error:
            log.warning("content version check failed: %s", error)
            return False
        if counter == self.seen:
            return False
        try:
            self.seen = materialize(self.directory, counter)
        except (SQLAlchemyError, OSError):
            log.exception("could not write the published content; will retry")
            db.session.rollback()
            return False
        self.app.extensions["kaptrain"].reload()
        return True

    def _import_edits(self, now: float) -> None:
        from kaptrain.authoring.transfer import import_folder
        from kaptrain.content import tree_fingerprint

        self.edits_checked_at = now
        fingerprint = tree_fingerprint(self.modules_dir)
        if fingerprint == self.fingerprint:
            return
        self.fingerprint = fingerprint
        try:
            report = import_folder(self.modules_dir, message="Edited files")
        except (FileNotFoundError, SQLAlchemyError) as error:
            log.warning("could not import %s: %s", self.modules_dir, error)
            db.session.rollback()
            return
        for problem in report.problems:
            if problem.is_error:
                log.warning("%s", problem)
        for line in report.lines():
            log.info("content import: %s", line)
        db.session.rollback()
        if report.published:
            self.checked_at = 0.0  # pick the new version up in this request


def init_content_source(app: Flask) -> None:
    """In database mode, write the published version and follow it."""
    if app.config.get("CONTENT_SOURCE") != "database":
        return
    follower = Follower(
        app=app,
        directory=Path(app.config["PUBLISHED_DIR"]),
        poll_seconds=float(app.config["CONTENT_POLL_SECONDS"]),
        auto_import=bool(app.config["CONTENT_AUTO_RELOAD"]),
        modules_dir=Path(app.config["MODULES_DIR"]),
    )
    follower.start()
    app.extensions["kaptrain_follower"] = follower
    # First of all hooks: before any other opens a transaction (on SQLite a
    # write transaction would make this worker's own reads wait for it).
    app.before_request_funcs.setdefault(None, []).insert(0, follower.before_request)
