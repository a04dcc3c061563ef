"""A worker's memory of each signed-in trainee's progress, and the stamp that
says when it is out of date.

Every trainee page shows progress (done marks, prerequisite locks, the next
step), and computing it takes five queries over the learner records. Between
two writes of the same trainee the answer cannot change, so a worker keeps it:

* :func:`records_changed` raises ``users.records_version`` by one. The
  learner-write unit of work (``kaptrain.learning.unit_of_work``), which every
  write of a learner record goes through, calls it just before its commit, in
  the same transaction, so no one can see the new records with the old version.
* :func:`cached_progress` keys a user's progress by that version (which comes
  with the session user's row, so checking it costs no query), the catalog's
  version and the account's creation time. Any write anywhere, on any host,
  changes the version, and the next page on every worker recomputes.

A reader always reads the version (with the session user, first) before the
records, so an entry can only ever hold records at least as new as its
version; it never serves older records under a newer version. The cache lives
on the Flask app (one per worker process), holds at most ``MAX_USERS`` users
(least recently used first out) and is safe under threaded workers.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache
from flask import Flask, current_app, g
from sqlalchemy import update

from kaptrain.content import Catalog
from kaptrain.extensions import db
from kaptrain.learning.progress import ModuleProgress, progress_for
from kaptrain.models import User

if TYPE_CHECKING:
    from kaptrain.people.accounts import SessionUser

#: Users whose progress one worker keeps (a few KB each).
MAX_USERS = 2048

Progress = dict[tuple[int, str], ModuleProgress]


def records_changed(user_id: int) -> None:
    """Mark ``user_id``'s learner records as changed (the caller commits).

    Called last before the commit, so the transaction takes the user's row lock
    after its other locks and holds it only for the commit (no lock cycles).
    """
    db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(records_version=User.records_version + 1)
        .execution_options(synchronize_session=False)
    )
    # The signed-in user's version was read at the start of this request; for
    # the rest of it, progress is computed afresh and not kept.
    g.kaptrain_records_changed = True


class ProgressCache:
    """Per-user progress, valid while (records version, catalog, account) hold."""

    def __init__(self, max_users: int = MAX_USERS) -> None:
        self.max_users = max_users
        self._entries: LRUCache[int, tuple[tuple[Any, ...], Progress]] = LRUCache(
            maxsize=max_users
        )
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, user: User | SessionUser, catalog: Catalog) -> Progress:
        if g.get("kaptrain_records_changed"):
            return progress_for([user.id], catalog)
        key = (user.records_version, catalog.version, user.created_at)
        with self._lock:
            entry = self._entries.get(user.id)
            if entry is not None and entry[0] == key:
                self.hits += 1
                return entry[1]
            self.misses += 1
        progress = progress_for([user.id], catalog)
        with self._lock:
            self._entries[user.id] = (key, progress)  # the least recent one goes
        return progress

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def init_progress_cache(app: Flask) -> None:
    app.extensions["kaptrain_progress"] = ProgressCache()


def progress_cache() -> ProgressCache:
    return current_app.extensions["kaptrain_progress"]  # type: ignore[no-any-return]


def cached_progress(user: User | SessionUser, catalog: Catalog) -> Progress:
    """``progress_for([user.id], catalog)``, from this worker's memory when the
    user's records have not changed since it was computed."""
    return progress_cache().get(user, catalog)
