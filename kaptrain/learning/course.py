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

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from flask import Flask, current_app

from kaptrain.content import Catalog, build_catalog, tree_fingerprint
from kaptrain.content.cache import RenderCache
from kaptrain.content.model import BuildResult

log = logging.getLogger("kaptrain.content")

FINGERPRINT_INTERVAL_S = 1.0

# Catalogs are immutable, so every app in one process (the test suite builds
# hundreds) can share the one built for an unchanged tree instead of re-reading
# and re-checking every file. Keyed by (folder, fingerprint); a few entries.
_BUILT: dict[tuple[str, str], Catalog] = {}
_BUILT_MAX = 8


def empty_catalog(reason: str) -> Catalog:
    """A catalog with no modules, for when the modules folder cannot be read."""
    return Catalog(
        modules=(),
        broken=(),
        problems=(),
        version=f"empty:{reason}",
        by_id=MappingProxyType({}),
    )


def _unreadable(modules_dir: Path, error: OSError) -> str:
    """Why the modules folder cannot be read, and which setting to fix."""
    why = (
        "it does not exist or is not a folder"
        if not modules_dir.is_dir()
        else error.strerror or str(error)
    )
    return (
        f"cannot read the modules folder {modules_dir}: {why}; "
        "set KAPTRAIN_MODULES_DIR to the folder that holds the modules"
    )


def _log_problems(result: BuildResult) -> None:
    """Every problem of a build in the log, and each module left out."""
    for problem in result.problems:
        level = logging.ERROR if problem.is_error else logging.WARNING
        log.log(level, "%s", problem)
    for broken in result.catalog.broken:
        errors = [p for p in broken.problems if p.is_error]
        log.error(
            "module %s left out of the catalog: %d error%s (first: %s)",
            broken.name,
            len(errors),
            "" if len(errors) == 1 else "s",
            errors[0] if errors else "none",
        )


@dataclass
class ContentState:
    """The current catalog plus what is needed to notice it is stale."""

    modules_dir: Path
    auto_reload: bool
    cache_dir: Path | None = None
    catalog: Catalog = field(init=False)
    fingerprint: str = field(init=False, default="")
    checked_at: float = field(init=False, default=0.0)
    builds: int = field(init=False, default=0)
    #: When the current catalog was built (UTC), how long it took, and how many
    #: modules that build rendered (the others were reused).
    built_at: dt.datetime | None = field(init=False, default=None)
    build_seconds: float = field(init=False, default=0.0)
    rendered: int = field(init=False, default=0)
    #: Why the catalog is empty when the modules folder could not be read.
    error: str | None = field(init=False, default=None)
    recorded_version: str | None = field(init=False, default=None)
    _lock: threading.RLock = field(init=False, default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.catalog = empty_catalog("not built")
        fingerprint = tree_fingerprint(self.modules_dir)
        shared = _BUILT.get((str(self.modules_dir.resolve()), fingerprint))
        if shared is None:
            self.reload()
            return
        self.catalog = shared
        self.fingerprint = fingerprint
        self.checked_at = time.monotonic()
        self.built_at = dt.datetime.now(dt.UTC)
        log.debug(
            "content catalog reused from this process: %d modules", len(shared.modules)
        )

    def reload(self) -> Catalog:
        """Rebuild from disk, log every problem, and swap the catalog in.

        Unchanged modules are reused from the current catalog (and from the
        render cache on disk), so only edited modules are rendered again. A
        missing or unreadable folder gives an empty catalog and one clear log
        line, never a crash: the rest of the site keeps working.
        """
        with self._lock:
            started = time.perf_counter()
            fingerprint = tree_fingerprint(self.modules_dir)
            cache = RenderCache(self.cache_dir) if self.cache_dir else None
            try:
                result = build_catalog(
                    self.modules_dir, previous=self.catalog, cache=cache
                )
            except OSError as error:
                self.error = _unreadable(self.modules_dir, error)
                log.error("%s; serving no modules", self.error)
                self.catalog = empty_catalog("unreadable")
                self.rendered = 0
            except Exception as error:  # noqa: BLE001 - content must not stop the site
                # A bug the content checker did not foresee: keep serving what we
                # had, and say so loudly.
                log.exception("content build failed; keeping the previous catalog")
                self.error = (
                    f"the content build failed unexpectedly ({error!r}); the "
                    "previous catalog is still served. Run `flask content check` "
                    "and report this"
                )
                self.rendered = 0
            else:
                self.error = None
                _log_problems(result)
                self.catalog = result.catalog
                self.rendered = result.rendered
                key = (str(self.modules_dir.resolve()), fingerprint)
                _BUILT[key] = result.catalog
                while len(_BUILT) > _BUILT_MAX:
                    _BUILT.pop(next(iter(_BUILT)))
            self.fingerprint = fingerprint
            self.checked_at = time.monotonic()
            self.builds += 1
            self.built_at = dt.datetime.now(dt.UTC)
            self.build_seconds = time.perf_counter() - started
            log.info(
                "content catalog built in %.2f s: %d modules served, %d left out, "
                "%d rendered",
                self.build_seconds,
                len(self.catalog.modules),
                len(self.catalog.broken),
                self.rendered,
            )
            if cache is not None and self.builds == 1:
                cache.prune()
            return self.catalog

    def current(self) -> Catalog:
        """The catalog, rebuilt first when auto-reload is on and files changed."""
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


def _cache_dir(app: Flask) -> Path | None:
    """``CONTENT_CACHE_DIR`` (falsy disables), by default instance/content-cache."""
    configured = app.config.get("CONTENT_CACHE_DIR", "default")
    if configured == "default":
        return Path(app.instance_path) / "content-cache"
    return Path(configured) if configured else None


def init_catalog(app: Flask) -> None:
    # With CONTENT_SOURCE=database the published revisions are written under
    # PUBLISHED_DIR and kaptrain.authoring.sync reloads on a new version.
    database = app.config.get("CONTENT_SOURCE") == "database"
    app.extensions["kaptrain"] = ContentState(
        modules_dir=Path(app.config["PUBLISHED_DIR" if database else "MODULES_DIR"]),
        auto_reload=bool(app.config["CONTENT_AUTO_RELOAD"]) and not database,
        cache_dir=_cache_dir(app),
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

    from kaptrain.extensions import db
    from kaptrain.models import ModuleVersion
    from kaptrain.platform.database import begin_write, insert_ignore

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
