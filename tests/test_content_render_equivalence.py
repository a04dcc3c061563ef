"""The renderer's shortcut gives exactly the HTML of the stock pipeline.

The renderer renders one-line plain text without Markdown. The reference here
is Python-Markdown with every fragment converted in full; both must agree on every
document and fragment of the shipped modules, the rule fixtures, and random
text made of the characters Markdown acts on.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from markdown.treeprocessors import InlineProcessor as StockInline

from kaptrain.content import Renderer, preview_module, sanitize
from kaptrain.content.render import Context

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = sorted(p for p in (ROOT / "modules").iterdir() if p.is_dir()) + sorted(
    p for p in (ROOT / "tests" / "content").iterdir() if p.is_dir()
)


def _reference() -> Renderer:
    renderer = Renderer()
    for md in (renderer._document, renderer._fragment):
        md.treeprocessors.register(StockInline(md), "inline", 20)
    return renderer


def _full_fragment(renderer: Renderer, source: str) -> str:
    """A fragment through Markdown and nh3, never through the plain-text path."""
    if not source.strip():
        return ""
    renderer._fragment.reset()
    return sanitize(renderer._fragment.convert(source))


def _recorded(folder: Path) -> list[tuple[str, Context, str]]:
    """Every (kind, context, source) that a preview of ``folder`` renders."""
    seen: list[tuple[str, Context, str]] = []
    original = (Renderer.document, Renderer.fragment)

    def document(self: Renderer, source: str) -> tuple[str, str]:
        seen.append(("document", self.context, source))
        return original[0](self, source)

    def fragment(self: Renderer, source: str) -> str:
        seen.append(("fragment", self.context, source))
        return original[1](self, source)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Renderer, "document", document)
        patch.setattr(Renderer, "fragment", fragment)
        preview_module(folder)
    return seen


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_every_rendering_matches_the_stock_pipeline(folder: Path) -> None:
    recorded = _recorded(folder)
    if folder.parent.name == "modules":
        kinds = [kind for kind, _, _ in recorded]
        assert kinds.count("document") >= 6
        assert kinds.count("fragment") >= 100
    fast, reference = Renderer(), _reference()
    for kind, context, source in recorded:
        fast.context = reference.context = context
        if kind == "document":
            assert fast.document(source) == reference.document(source), source
        else:
            assert fast.fragment(source) == _full_fragment(reference, source), source


TOKENS = [
    "word",
    "Text",
    " ",
    " ",
    "\n",
    "\n\n",
    "  \n",
    "*",
    "**",
    "_",
    "__",
    "`",
    "``",
    "\\",
    "\\*",
    "[",
    "]",
    "(",
    ")",
    "[@carter-2007]",
    "[@a-1; @b-2]",
    "[@Bad Key]",
    "[^1]",
    "\n[^1]: note\n",
    "[link](02-next.md#part)",
    "![alt](media/x.png)",
    "[ref][r]",
    "\n[r]: https://example.org\n",
    "<https://example.org>",
    "<a@b.org>",
    "<b>",
    "&amp;",
    "&#169;",
    "& ",
    "<",
    ">",
    "\n- ",
    "\n1. ",
    "\n> ",
    "\n## ",
    "|",
    "\n| a | b |\n|---|---|\n| c | d |\n",
    "{: #id }",
    "~",
    "^",
    "é",
]


def _random_sources(count: int) -> list[str]:
    rng = random.Random(20261122)
    return [
        "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 30)))
        for _ in range(count)
    ]


def test_random_markdown_renders_like_the_stock_pipeline() -> None:
    fast, reference = Renderer(), _reference()
    context = Context(
        module_id="m",
        labels={"carter-2007": "Carter 2007"},
        files={"02-next.md": "next"},
    )
    fast.context = reference.context = context
    for source in _random_sources(800):
        assert fast.document(source) == reference.document(source), repr(source)
        assert fast.fragment(source) == _full_fragment(reference, source), repr(source)
        assert fast.inline(source) == reference.inline(source), repr(source)


def test_plain_text_skips_markdown() -> None:
    renderer = Renderer()
    tried: list[str] = []
    inline = renderer._fragment.treeprocessors["inline"]
    apply = inline._InlineProcessor__applyPattern

    def counting(pattern, *args):  # noqa: ANN001, ANN002, ANN202 - Markdown API
        tried.append(type(pattern).__name__)
        return apply(pattern, *args)

    inline._InlineProcessor__applyPattern = counting
    assert renderer.fragment("Plain words only.") == "<p>Plain words only.</p>"
    assert tried == []
    assert renderer.fragment("Some *emphasis* here.") == (
        "<p>Some <em>emphasis</em> here.</p>"
    )
    assert tried  # text that could be syntax goes through Markdown
