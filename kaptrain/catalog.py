"""The content catalog held by the running app.

The catalog is built once per content version from ``KAPTRAIN_MODULES_DIR`` and
kept in ``app.extensions["kaptrain"]``; requests read it and never the files, and
every page fragment in it was rendered once, at build time. In development (or
with ``KAPTRAIN_CONTENT_AUTO_RELOAD=true``) a cheap stat-based fingerprint of the
tree is compared at most once a second, so an author's edit shows on refresh.
In production a new catalog is built at start-up, on ``flask content reload``
(which signals the server), or when gunicorn receives SIGHUP.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app

from .content import Catalog, build_catalog, tree_fingerprint

log = logging.getLogger("kaptrain.content")

FINGERPRINT_INTERVAL_S = 1.0


@dataclass
class ContentState:
    """The current catalog plus what is needed to notice it is stale."""

    modules_dir: Path
    auto_reload: bool
    catalog: Catalog = field(init=False)
    fingerprint: str = field(init=False, default="")
    checked_at: float = field(init=False, default=0.0)
    builds: int = field(init=False, default=0)
    recorded_version: str | None = field(init=False, default=None)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.reload()

    def reload(self) -> Catalog:
        """Rebuild from disk, log every problem, and swap the catalog in."""
        fingerprint = tree_fingerprint(self.modules_dir)
        result = build_catalog(self.modules_dir)
        for problem in result.problems:
            level = logging.ERROR if problem.severity == "error" else logging.WARNING
            log.log(level, "%s", problem)
        for broken in result.catalog.broken:
            log.error("module %s left out of the catalog: it has errors", broken.name)
        self.catalog = result.catalog
        self.fingerprint = fingerprint
        self.checked_at = time.monotonic()
        self.builds += 1
        return self.catalog

    def current(self) -> Catalog:
        if (
            self.auto_reload
            and time.monotonic() - self.checked_at > FINGERPRINT_INTERVAL_S
        ):
            with self._lock:
                if time.monotonic() - self.checked_at > FINGERPRINT_INTERVAL_S:
                    self.checked_at = time.monotonic()
                    if tree_fingerprint(self.modules_dir) != self.fingerprint:
                        self.reload()
        return self.catalog


def init_catalog(app: Flask) -> None:
    app.extensions["kaptrain"] = ContentState(
        modules_dir=Path(app.config["MODULES_DIR"]),
        auto_reload=bool(app.config["CONTENT_AUTO_RELOAD"]),
    )

    @app.before_request
    def record_versions_once() -> None:
        state: ContentState = app.extensions["kaptrain"]
        catalog = state.current()
        if state.recorded_version != catalog.version:
            record_module_versions(catalog)
            state.recorded_version = catalog.version


def content_state() -> ContentState:
    return current_app.extensions["kaptrain"]


def current_catalog() -> Catalog:
    """The catalog for this request."""
    return content_state().current()


def record_module_versions(catalog: Catalog) -> None:
    """Note each module's id, version and hash, once, for learner records."""
    from sqlalchemy.exc import SQLAlchemyError

    from .database import begin_write, insert_ignore
    from .extensions import db
    from .models import ModuleVersion

    rows = [
        {
            "module_id": module.id,
            "version": module.version,
            "content_hash": module.content_hash,
            "title": module.title[:300],
        }
        for module in catalog.modules
    ]
    if not rows:
        return
    try:
        begin_write()
        insert_ignore(ModuleVersion, rows)
        db.session.commit()
    except SQLAlchemyError:
        # Before the first migration the table may not exist; pages still serve.
        db.session.rollback()
        log.warning("could not record module versions (is the database migrated?)")
