"""A persistent cache of rendered modules, keyed by content and renderer version.

Rendering Markdown is most of the cost of a build, and a module's rendering
depends only on its own files, the link functions and this package's code. So a
module rendered once is written to ``directory`` (the app uses
``instance/content-cache``) and read back by the next build that sees the same
files: after a restart, by every gunicorn worker after the first, and by
``content reload`` for the modules that did not change.

The files are pickles. They are read only from a folder the app itself writes
(the same trust as the SQLite database and ``secret_key`` beside it); anything
unreadable or stale is ignored and rendered again, never trusted blindly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import pickle  # noqa: S403 - reads only files this app wrote to its instance dir
import sys
import tempfile
import time
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from kaptrain.content.model import Module
from kaptrain.content.render import Links

log = logging.getLogger(__name__)

MAX_AGE_S = 30 * 24 * 3600
MAX_ENTRIES = 1000


@cache
def renderer_version() -> str:
    """A digest of this package's code and the rendering libraries' versions.

    Any change to the parser, renderer, sanitizer or model changes it, so a cache
    never serves HTML made by older code.
    """
    digest = hashlib.sha256(sys.version.encode())
    for name in ("markdown", "nh3"):
        try:
            digest.update(f"{name}={version(name)}".encode())
        except PackageNotFoundError:
            digest.update(name.encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def _links_identity(links: Links | None) -> str:
    links = links or Links()
    return "|".join(
        f"{getattr(f, '__module__', '')}.{getattr(f, '__qualname__', repr(f))}"
        for f in (links.media, links.item)
    )


class RenderCache:
    """Rendered modules on disk. ``salt`` separates callers whose link functions
    share a name but not a behaviour."""

    def __init__(self, directory: Path, salt: str = "") -> None:
        self.directory = Path(directory)
        self.salt = salt

    def key(self, content_hash: str, links: Links | None) -> str:
        """The entry for a module with these files (wherever its folder is)."""
        parts = (renderer_version(), self.salt, _links_identity(links), content_hash)
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def path(self, key: str) -> Path:
        """Where the entry for ``key`` is stored."""
        return self.directory / f"{key}.pickle"

    def get(self, key: str, folder: Path) -> Module | None:
        """The cached module, moved to ``folder``; None when absent or unreadable.

        Rendering does not depend on where the folder is (links use module and
        item ids), so identical copies of a module share one entry.
        """
        path = self.path(key)
        try:
            with path.open("rb") as handle:
                module = pickle.load(handle)  # noqa: S301 - see module docstring
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a bad cache file is only a miss
            log.warning("ignoring unreadable render cache file %s", path)
            return None
        if not isinstance(module, Module):
            return None
        try:
            os.utime(path)  # marks it as in use, for prune()
        except OSError:
            pass
        return _relocate(module, Path(folder))

    def put(self, key: str, module: Module) -> None:
        """Store a rendered module; a failure to write is logged, never raised."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(module, handle, protocol=pickle.HIGHEST_PROTOCOL)
            # Atomic, so concurrent workers never read half a file.
            os.replace(tmp, self.path(key))
        except (OSError, pickle.PicklingError) as error:
            log.warning(
                "could not write the render cache in %s: %s", self.directory, error
            )

    def prune(
        self, max_age_s: float = MAX_AGE_S, max_entries: int = MAX_ENTRIES
    ) -> int:
        """Remove entries unused for ``max_age_s`` seconds, and the least recently
        used beyond ``max_entries``; returns how many were removed."""
        cutoff = time.time() - max_age_s
        entries = []
        try:
            for entry in self.directory.iterdir():
                if entry.suffix in (".pickle", ".tmp"):
                    try:
                        entries.append((entry.stat().st_mtime, entry))
                    except OSError:
                        continue
        except OSError:
            return 0
        entries.sort(reverse=True)
        removed = 0
        for index, (mtime, entry) in enumerate(entries):
            if mtime < cutoff or index >= max_entries:
                try:
                    entry.unlink()
                    removed += 1
                except OSError:
                    continue
        return removed


def _relocate(module: Module, folder: Path) -> Module:
    """The module with its paths pointing into ``folder``."""
    if module.path == folder:
        return module
    items = tuple(
        dataclasses.replace(item, source_path=folder / item.source_path.name)
        for item in module.items
    )
    return dataclasses.replace(module, path=folder, items=items)
