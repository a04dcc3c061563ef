"""Read, check, render and index a modules tree into an immutable catalog.

Pure Python: no Flask, no database, nothing else from kaptrain. The web app
builds the catalog once per content version and serves requests from it.

Public API
----------
``build_catalog(modules_dir, *, links=None, previous=None, cache=None, workers=None)``
    Read every module folder, check it, render valid modules once; returns a
    ``BuildResult``. On a reload, pass ``previous`` (the last catalog) to reuse
    unchanged modules; pass a ``RenderCache(directory)`` to keep renderings on
    disk across builds and processes (keyed by content hash and this package's
    code). Many modules to render are rendered in forked worker processes
    (``workers=1`` forces one process). ``BuildResult.catalog`` holds the valid
    modules, ``BuildResult.problems`` every problem (errors and warnings),
    ``BuildResult.rendered`` how many modules were rendered. A module with any
    error is left out and listed in ``Catalog.broken``.
``preview_module(folder, *, display=None, links=None, extra_problems=()) -> Preview``
    For authors: read, check and render one module folder as far as possible,
    never raising on content; each ``PreviewItem`` carries its file's problems.
``tree_fingerprint(modules_dir) -> str``
    Stat-based fingerprint (names, sizes, mtimes) to detect edits cheaply.
``run_check(directory, *, strict=False, fmt="text", out) -> int``
    The ``content check`` command: prints problems and returns 0, 1 or 2.
``render.Links(media=..., item=...)``
    How relative links become URLs. ``media(module_id, "media/x.png")`` and
    ``item(module_id, item_id_or_None)``; defaults give ``/modules/<id>/media/x.png``
    and ``/modules/<id>/<item-id>``. Rendering happens at build time, so pass
    functions that do not need a request.
``sanitize(html) -> str`` and ``Renderer``
    The allow-list sanitizer and the Markdown renderer, safe on unchecked input.

Model (frozen dataclasses, tuples, ``MappingProxyType``): ``Catalog`` (modules
ordered by ``order``, ``get(id)``, ``broken``, ``problems``, ``version``),
``Module`` (``items`` in contents order, ``item``/``prev_item``/``next_item``,
``lessons``, ``vignettes``, ``quiz``, ``evaluation``, ``total_minutes``,
``references``, ``media``/``media_file``), ``Lesson``, ``Quiz``, ``Question``,
``Option``, ``Vignette``, ``Node``, ``Choice``, ``Evaluation``, ``Reference``,
``ModuleFigures`` (the checker's figures per module: post-test items and
shares, objectives covered, references with title and DOI/URL, estimated
minutes against claimed), ``BrokenModule``, ``Problem``
(``path:line: severity CODE: message``; paths are relative to the parent of the
checked directory) and ``CODES``.

Item identity is the front-matter ``id``; file names only order the folder.
"""

from kaptrain.content.cache import RenderCache
from kaptrain.content.catalog import build_catalog, tree_fingerprint
from kaptrain.content.check import run_check
from kaptrain.content.model import (
    BrokenModule,
    BuildResult,
    Catalog,
    Choice,
    Evaluation,
    Item,
    Lesson,
    Module,
    ModuleFigures,
    Node,
    Option,
    Question,
    Quiz,
    Reference,
    Vignette,
)
from kaptrain.content.preview import Preview, PreviewItem, preview_module
from kaptrain.content.problems import CODES, Problem
from kaptrain.content.reader import MAX_BYTES
from kaptrain.content.render import Links, Renderer, sanitize

__all__ = [
    "CODES",
    "MAX_BYTES",
    "BrokenModule",
    "BuildResult",
    "Catalog",
    "Choice",
    "Evaluation",
    "Item",
    "Lesson",
    "Links",
    "Module",
    "ModuleFigures",
    "Node",
    "Option",
    "Preview",
    "PreviewItem",
    "Problem",
    "Question",
    "Quiz",
    "Reference",
    "RenderCache",
    "Renderer",
    "Vignette",
    "build_catalog",
    "preview_module",
    "run_check",
    "sanitize",
    "tree_fingerprint",
]
