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
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import Flask, current_app, request
from markupsafe import Markup

#: Bytes of rendered HTML one worker keeps (least recently used go first).
MAX_BYTES = 8 * 1024 * 1024


class FragmentCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Markup] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.renders = 0

    def get(self, key: Hashable, render: Callable[[], str]) -> Markup:
        with self._lock:
            html = self._entries.get(key)
            if html is not None:
                self._entries.move_to_end(key)
                return html
        html = Markup(render())  # noqa: S704 - rendered by an autoescaping template
        with self._lock:
            self.renders += 1
            if key not in self._entries:
                self._entries[key] = html
                self._bytes += len(html)
            while self._bytes > self.max_bytes and len(self._entries) > 1:
                _old, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped)
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
