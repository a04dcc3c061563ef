"""Rendered page parts that are the same for every trainee, kept per worker.

A lesson's article (its header, content note, objectives, contents, body and
references) depends only on the content version and whether the lesson is
done, never on who reads it, so it is rendered once and reused by every trainee
until the content changes. Per-person parts (the layout's name and sign-out
form, the "Mark as complete" form with its CSRF token) stay in the page
template. The cache is bounded by size and keyed by the catalog's version, so
a content reload simply stops using the old entries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from cachetools import LRUCache
from flask import Flask, current_app, request
from markupsafe import Markup

#: Bytes of rendered HTML one worker keeps (least recently used go first).
MAX_BYTES = 8 * 1024 * 1024


class FragmentCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        # Sized by the length of each HTML string: least recently used go first.
        self._entries: LRUCache[Hashable, Markup] = LRUCache(
            maxsize=max_bytes, getsizeof=len
        )
        self._lock = threading.Lock()
        self.renders = 0

    def get(self, key: Hashable, render: Callable[[], str]) -> Markup:
        with self._lock:
            html = self._entries.get(key)
            if html is not None:
                return html
        html = Markup(render())  # noqa: S704 - rendered by an autoescaping template
        with self._lock:
            self.renders += 1
            if len(html) <= self.max_bytes:  # a larger one is served, not kept
                self._entries[key] = html
        return html

    def __len__(self) -> int:
        return len(self._entries)


def init_fragments(app: Flask) -> None:
    app.extensions["kaptrain_fragments"] = FragmentCache()


def fragment(parts: tuple[Hashable, ...], render: Callable[[], str]) -> Markup:
    """The HTML ``render`` makes for ``parts`` (which must name everything it
    depends on), rendered once per worker. The mount point is added to the key."""
    cache: FragmentCache = current_app.extensions["kaptrain_fragments"]
    return cache.get((request.script_root, *parts), render)
