"""Markdown -> sanitized HTML, once per build.

Every fragment goes through Python-Markdown with a fixed extension list and
then through nh3 with an explicit allow-list, so the output is safe even when
called directly on unchecked text: the checker's refusal of raw HTML is a
courtesy to authors, not the security boundary.

URLs: a relative link or image in a module (``media/chart.png``,
``02-microaggressions.md#part-2``) is rewritten with a :class:`Links` supplied
by the caller; the defaults produce ``/modules/<module-id>/media/chart.png`` and
``/modules/<module-id>/<item-id>#part-2``.
"""

from __future__ import annotations

import html
import posixpath
import re
import xml.etree.ElementTree as etree  # noqa: S405 - builds trees, parses nothing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import unquote

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

EXTENSIONS = ("tables", "footnotes", "attr_list", "sane_lists", "md_in_html")

CALLOUT_TITLES = MappingProxyType(
    {
        "note": "Note",
        "tip": "Tip",
        "caution": "Caution",
        "content-note": "Content note",
    }
)

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "b",
        "i",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "img",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "sup",
        "sub",
        "div",
        "span",
        "details",
        "summary",
        "dl",
        "dt",
        "dd",
        "abbr",
        "del",
        "kbd",
        *_HEADINGS,
    }
)
ATTRIBUTES = MappingProxyType(
    {
        "a": {"href", "title", "id"},
        "img": {"src", "alt", "title", "width", "height", "loading"},
        "th": {"align"},
        "td": {"align"},
        "li": {"id"},
        "sup": {"id"},
        "ol": {"start"},
        "abbr": {"title"},
        "div": {"role"},
        **{h: {"id"} for h in _HEADINGS},
    }
)
CLASSES = MappingProxyType(
    {
        "div": {
            "callout",
            "footnote",
            "toc",
            *(f"callout-{n}" for n in CALLOUT_TITLES),
        },
        "details": {"callout", "callout-reveal"},
        "p": {"callout-title"},
        "a": {"cite", "footnote-ref", "footnote-backref"},
        "span": {"cite-group"},
    }
)
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# One line of text with nothing Markdown would act on renders as an escaped
# paragraph; skipping Markdown for it (most options and feedback) halves the
# cost of a quiz. Anything that could be syntax takes the normal path.
_PLAIN = re.compile(r"^(?![-+*>#=]|\d+[.)])[^\n\t*_`\[\]<>&\\{}|~^=]*$")
# Inline patterns the platform does not use: raw inline HTML (refused by the
# checker; escaped instead), <user@host> autolinks and reference-style images.
_UNUSED_INLINE = ("html", "automail", "image_reference", "short_image_ref")
_CITE_KEY = re.compile(r"^@([a-z0-9]+(?:-[a-z0-9]+)*)$")
_CITE_RE = r"\[(@[^\]]+)\]"


def default_media_url(module_id: str, path: str) -> str:
    """``/modules/<module-id>/<path>`` for a file inside the module folder."""
    return f"/modules/{module_id}/{path}"


def default_item_url(module_id: str, item_id: str | None) -> str:
    """``/modules/<module-id>/<item-id>``, or the module page for ``None``."""
    return f"/modules/{module_id}/{item_id or ''}"


@dataclass(frozen=True)
class Links:
    """How relative links become URLs; the web app may pass its own functions."""

    media: Callable[[str, str], str] = default_media_url
    item: Callable[[str, str | None], str] = default_item_url


@dataclass
class Context:
    """What the renderer needs to know about the module being rendered."""

    module_id: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    #: file name (``02-micro.md``) -> item id; ``module.md`` -> None.
    files: Mapping[str, str | None] = field(default_factory=dict)


def _nh3_arguments() -> dict[str, object]:
    return {
        "tags": set(TAGS),
        "attributes": dict(ATTRIBUTES),
        "allowed_classes": dict(CLASSES),
        "url_schemes": set(URL_SCHEMES),
        "link_rel": "noopener noreferrer",
    }


# One cleaner built once (nh3 >= 0.2.19) instead of a new one per fragment.
_CLEANER = nh3.Cleaner(**_nh3_arguments()) if hasattr(nh3, "Cleaner") else None


def sanitize(fragment: str) -> str:
    """Clean HTML with the platform's allow-list."""
    if _CLEANER is not None:
        return _CLEANER.clean(fragment)
    return nh3.clean(fragment, **_nh3_arguments())  # type: ignore[arg-type]


def default_label(key: str) -> str:
    """``carter-2007`` -> ``Carter 2007``; ``sue-capodilupo-2007`` -> ``Sue & Capodilupo
    2007``; three or more names (or ``etal``) -> ``Sue et al. 2007``."""
    parts = key.split("-")
    year = (
        parts.pop() if len(parts) > 1 and re.match(r"^\d{4}[a-z]?$", parts[-1]) else ""
    )
    etal = "etal" in parts
    names = [p.capitalize() for p in parts if p != "etal"]
    if etal or len(names) > 2:
        author = f"{names[0]} et al." if names else key
    else:
        author = " & ".join(names)
    return f"{author} {year}".strip()


class _CitePattern(InlineProcessor):
    def __init__(self, context: Callable[[], Context]) -> None:
        super().__init__(_CITE_RE)
        self.context = context

    def handleMatch(self, m: re.Match[str], data: str):  # noqa: N802 - Markdown API
        keys = []
        for part in m.group(1).split(";"):
            match = _CITE_KEY.match(part.strip())
            if not match:
                return None, None, None
            keys.append(match.group(1))
        labels = self.context().labels
        group = etree.Element("span", {"class": "cite-group"})
        group.text = "("
        for index, key in enumerate(keys):
            link = etree.SubElement(
                group, "a", {"class": "cite", "href": f"#ref-{key}"}
            )
            link.text = labels.get(key) or default_label(key)
            link.tail = "; " if index < len(keys) - 1 else ")"
        return group, m.start(0), m.end(0)


class _LinkRewriter(Treeprocessor):
    def __init__(
        self, md: markdown.Markdown, context: Callable[[], Context], links: Links
    ) -> None:
        super().__init__(md)
        self.context = context
        self.links = links

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag == "a" and element.get("href"):
                element.set("href", self.rewrite(element.get("href", "")))
            elif element.tag == "img" and element.get("src"):
                element.set("src", self.rewrite(element.get("src", "")))
                element.set("loading", "lazy")

    def rewrite(self, url: str) -> str:
        if not url or url.startswith(("#", "/")) or _SCHEME.match(url):
            return url
        context = self.context()
        path, hash_, fragment = url.partition("#")
        path = posixpath.normpath(unquote(path.partition("?")[0]))
        if path.startswith("../") or path == "..":
            return "#"
        if path in context.files:
            target = self.links.item(context.module_id, context.files[path])
        else:
            target = self.links.media(context.module_id, path)
        return target + hash_ + fragment


class _Platform(Extension):
    def __init__(self, context: Callable[[], Context], links: Links) -> None:
        super().__init__()
        self.context = context
        self.links = links

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - API
        # Above "reference" (170) so [@key] is never read as a reference link.
        md.inlinePatterns.register(_CitePattern(self.context), "kaptrain-cite", 175)
        for name in _UNUSED_INLINE:
            if name in md.inlinePatterns:
                md.inlinePatterns.deregister(name)
        md.treeprocessors.register(
            _LinkRewriter(md, self.context, self.links), "kaptrain-links", 15
        )


class Renderer:
    """Two Markdown instances built once per catalog build and reset per call."""

    def __init__(self, links: Links | None = None) -> None:
        self.links = links or Links()
        self.context = Context()
        platform = _Platform(lambda: self.context, self.links)
        configs = {"tables": {"use_align_attribute": True}}
        self._document = markdown.Markdown(
            extensions=[*EXTENSIONS, "toc", platform],
            extension_configs=configs,
            output_format="html",
        )
        self._fragment = markdown.Markdown(
            extensions=[*EXTENSIONS, _Platform(lambda: self.context, self.links)],
            extension_configs=configs,
            output_format="html",
        )

    def document(self, source: str) -> tuple[str, str]:
        """Render a lesson or overview; returns ``(html, toc_html)``."""
        self._document.reset()
        body = sanitize(self._document.convert(source))
        toc = getattr(self._document, "toc_tokens", None)
        toc_html = sanitize(getattr(self._document, "toc", "")) if toc else ""
        return body, toc_html

    def fragment(self, source: str) -> str:
        """Render a stem, option, feedback, scene or statement."""
        if not source.strip():
            return ""
        if _PLAIN.match(source.strip()):
            return f"<p>{html.escape(source.strip(), quote=False)}</p>"
        self._fragment.reset()
        return sanitize(self._fragment.convert(source))

    def inline(self, source: str) -> str:
        """Render one line without the surrounding paragraph."""
        rendered = self.fragment(source)
        if rendered.startswith("<p>") and rendered.endswith("</p>"):
            inner = rendered[3:-4]
            if "<p>" not in inner:
                return inner
        return rendered


def callout_source(name: str, title: str, body: str) -> str:
    """Markdown for a callout block; the wrapper is produced here, never by authors."""
    if name == "reveal":
        return (
            f'\n<details class="callout callout-reveal" markdown="1">\n'
            f"<summary>{html.escape(title)}</summary>\n\n{body}\n\n</details>\n"
        )
    heading = html.escape(title or CALLOUT_TITLES.get(name, name))
    return (
        f'\n<div class="callout callout-{name}" role="note" markdown="1">\n'
        f'<p class="callout-title">{heading}</p>\n\n{body}\n\n</div>\n'
    )
