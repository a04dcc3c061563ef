"""The renderer is safe on its own, even on text the checker never saw."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from kaptrain.content import Renderer, sanitize
from kaptrain.content.render import Context, callout_source, default_label

ATTACKS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    "![x](javascript:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<div onclick="alert(1)" style="color:red">x</div>',
    '<svg onload="alert(1)"></svg>',
    "[x](data:text/html,<script>alert(1)</script>)",
    '<a href="vbscript:msgbox(1)">x</a>',
    "{: onclick=alert(1) }\nParagraph",
    'Paragraph\n{: onmouseover="alert(1)" }',
]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs) -> None:  # noqa: ANN001 - stdlib API
        self.found.append((tag, attrs))


def elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.mark.parametrize("source", ATTACKS)
def test_dangerous_markup_never_survives(renderer: Renderer, source: str) -> None:
    html, toc = renderer.document(source)
    for out in (html, toc, renderer.fragment(source), renderer.inline(source)):
        for tag, attrs in elements(out):
            assert tag not in ("script", "style", "iframe", "svg")
            for name, value in attrs:
                assert not name.startswith("on")
                assert name != "style"
                if name in ("href", "src"):
                    assert (
                        not (value or "")
                        .lower()
                        .startswith(("javascript:", "vbscript:", "data:"))
                    )


def test_reveal_title_is_escaped(renderer: Renderer) -> None:
    html, _ = renderer.document(callout_source("reveal", "<b onclick=x>T</b>", "Body"))
    assert "<summary>&lt;b onclick=x&gt;T&lt;/b&gt;</summary>" in html


def test_sanitize_keeps_the_allowed_structure() -> None:
    html = '<a class="cite evil" href="#ref-a" onclick="x">A</a>'
    assert sanitize(html) == (
        '<a class="cite" href="#ref-a" rel="noopener noreferrer">A</a>'
    )


def test_citations_become_links(renderer: Renderer) -> None:
    renderer.context = Context(labels={"carter-2007": "Carter 2007"})
    html = renderer.inline("See [@carter-2007; @sue-capodilupo-2007].")
    assert html == (
        'See <span class="cite-group">(<a class="cite" href="#ref-carter-2007" '
        'rel="noopener noreferrer">Carter 2007</a>; <a class="cite" '
        'href="#ref-sue-capodilupo-2007" rel="noopener noreferrer">Sue &amp; '
        "Capodilupo 2007</a>)</span>."
    )
    assert "cite" not in renderer.inline("Code: `[@carter-2007]`").split("<code>")[0]
    renderer.context = Context()


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("carter-2007", "Carter 2007"),
        ("sue-capodilupo-2007", "Sue & Capodilupo 2007"),
        ("sue-etal-2007", "Sue et al. 2007"),
        ("a-b-c-2001a", "A et al. 2001a"),
        ("who", "Who"),
    ],
)
def test_default_labels(key: str, label: str) -> None:
    assert default_label(key) == label


def test_relative_links_outside_the_module_are_dropped(renderer: Renderer) -> None:
    assert 'href="#"' in renderer.fragment("[x](../other/secret.md)")
