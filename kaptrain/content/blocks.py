"""The line-oriented ``:::`` block splitter and the prose scanner.

The splitter knows every line number, so it reports structure problems itself;
only the text fragments it produces ever reach the Markdown renderer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kaptrain.content.problems import Problems, did_you_mean

Line = tuple[int, str]

_MARKER = re.compile(r"^ {0,3}:::(?!:)\s*(.*?)\s*$")
_CODE_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_HTML = re.compile(r"<(?:[A-Za-z][\w-]*|/[A-Za-z]?|!|\?)[^>]*>?")
_AUTOLINK = re.compile(r"<(?:https?://|mailto:)[^>\s]*>")
_CITATION = re.compile(r"\[(@[^\]]*)\]")
_CITE_KEY = re.compile(r"^@([a-z0-9]+(?:-[a-z0-9]+)*)$")
_LINK = re.compile(
    r"(!?)\[((?:[^\]\\]|\\.)*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)]*)?\s*\)"
)
_LINK_DEF = re.compile(r"^ {0,3}\[([^\]^][^\]]*)\]:\s*<?(\S+?)>?(?:\s|$)")

_HTML_HINTS = {
    "br": "leave a blank line to start a new paragraph",
    "b": "write **bold** instead",
    "strong": "write **bold** instead",
    "i": "write *italic* instead",
    "em": "write *italic* instead",
    "a": "write a link as [text](https://example.org)",
    "img": "write an image as ![alt text](media/name.png)",
    "details": "use a ::: reveal Title block",
    "summary": "use a ::: reveal Title block",
    "!": "HTML comments are not allowed; delete the comment (git keeps history)",
    "sup": "use a footnote[^1] or a citation [@key]",
}


@dataclass
class Block:
    """A ``::: name arg`` block with its inner lines."""

    name: str
    arg: str
    line: int
    lines: list[Line] = field(default_factory=list)
    #: True when a stray opener cut the block short (already reported).
    interrupted: bool = False


@dataclass
class Split:
    """A body split into blocks and the prose lines outside them."""

    blocks: list[Block]
    prose: list[Line]
    #: Body lines in order with blocks replaced by the Block object (lessons).
    sequence: list[Line | Block]


def fenced_lines(lines: list[Line]) -> set[int]:
    """Line numbers inside fenced code (the fences included)."""
    inside: set[int] = set()
    fence: str | None = None
    for number, text in lines:
        match = _CODE_FENCE.match(text)
        if fence is None and match:
            fence = match.group(1)
            inside.add(number)
        elif fence is not None:
            inside.add(number)
            if text.strip().startswith(fence):
                fence = None
    return inside


def split_blocks(body: list[Line], allowed: tuple[str, ...], out: Problems) -> Split:
    """Split ``body`` into blocks, reporting unclosed, nested and unknown blocks."""
    code = fenced_lines(body)
    markers: list[tuple[int, str, str]] = []  # (index, name, arg); name "" closes
    for index, (number, text) in enumerate(body):
        if number in code:
            continue
        match = _MARKER.match(text)
        if match:
            name, _, arg = match.group(1).partition(" ")
            markers.append((index, name, arg.strip()))
    _report_structure(body, markers, out)

    blocks: list[Block] = []
    prose: list[Line] = []
    sequence: list[Line | Block] = []
    current: Block | None = None
    marker_at = {index: (name, arg) for index, name, arg in markers}
    for index, (number, text) in enumerate(body):
        if index in marker_at:
            name, arg = marker_at[index]
            if name:
                if current is not None:
                    current.interrupted = True
                current = Block(name=name, arg=arg, line=number)
                if name not in allowed:
                    hint = did_you_mean(name, allowed, cutoff=0.7)
                    out.error(
                        number,
                        "B3",
                        f'"::: {name}" is not allowed here; use '
                        f"{', '.join(allowed) or 'no blocks'}.{hint}",
                    )
                else:
                    blocks.append(current)
                    sequence.append(current)
            else:
                current = None
            continue
        if current is not None:
            current.lines.append((number, text))
        else:
            prose.append((number, text))
            sequence.append((number, text))
    return Split(blocks=blocks, prose=prose, sequence=sequence)


def _report_structure(
    body: list[Line], markers: list[tuple[int, str, str]], out: Problems
) -> None:
    stack: list[tuple[int, int | None]] = []  # (opener index, outer opener index)
    closed: set[int] = set()
    nested: list[tuple[int, int]] = []
    for index, name, _ in markers:
        if name:
            stack.append((index, stack[-1][0] if stack else None))
        elif stack:
            opener, outer = stack.pop()
            closed.add(opener)
            if outer is not None:
                nested.append((opener, outer))
        else:
            out.error(
                body[index][0],
                "B5",
                "this ::: closes no open block; delete it "
                "or add the missing '::: name' line above",
            )
    for index, _ in stack:
        out.error(
            body[index][0],
            "B1",
            f'block "{body[index][1].strip()}" is never '
            "closed; add a line ::: where it ends",
        )
    for opener, outer in nested:
        if outer in closed:
            out.error(
                body[opener][0],
                "B2",
                "blocks cannot be nested; close the "
                f"block opened on line {body[outer][0]} with ::: before this one",
            )


@dataclass
class Scan:
    """What the prose scanner found in a fragment."""

    citations: list[tuple[str, int]] = field(default_factory=list)
    links: list[tuple[str, str, int, bool]] = field(default_factory=list)


def scan_prose(lines: list[Line], out: Problems, scan: Scan) -> None:
    """Report raw HTML and malformed citations; collect citations and links.

    Fenced code and inline code spans are skipped: there ``<div>`` is an example,
    not markup, and the renderer escapes it.
    """
    code = fenced_lines(lines)
    for number, text in lines:
        if number in code:
            continue
        plain = _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), text)
        _check_html(number, _AUTOLINK.sub("", plain), out)
        for match in _CITATION.finditer(plain):
            _citation(match.group(1), number, out, scan)
        for match in _LINK.finditer(plain):
            scan.links.append(
                (match.group(3), match.group(2), number, bool(match.group(1)))
            )
        definition = _LINK_DEF.match(plain)
        if definition and not definition.group(1).startswith("@"):
            scan.links.append((definition.group(2), definition.group(1), number, False))


def _check_html(number: int, text: str, out: Problems) -> None:
    match = _HTML.search(text)
    if not match:
        return
    tag = match.group(0)
    name = (
        "!"
        if tag.startswith("<!")
        else re.sub(r"[^a-z0-9]", "", tag[1:].split()[0].lower())
        if len(tag) > 1
        else ""
    )
    hint = _HTML_HINTS.get(name, "write Markdown instead of HTML")
    shown = tag if len(tag) <= 40 else tag[:37] + "..."
    out.error(
        number,
        "B4",
        f'raw HTML "{shown}" is not allowed; {hint}. A "<" '
        'before a letter reads as HTML: write "less than" or add a space',
    )


def _citation(inner: str, number: int, out: Problems, scan: Scan) -> None:
    parts = [part.strip() for part in inner.split(";")]
    keys = []
    for part in parts:
        match = _CITE_KEY.match(part)
        if not match:
            fixed = "; ".join(
                "@" + p.strip().lstrip("@").lower().replace(" ", "-")
                for p in re.split(r"[;,]", inner)
                if p.strip()
            )
            out.error(
                number,
                "C4",
                f'citation "[{inner}]" is malformed; write '
                f"[{fixed}] (keys are lowercase slugs, separated by ;)",
            )
            return
        keys.append(match.group(1))
    scan.citations.extend((key, number) for key in keys)


def nonblank(lines: list[Line]) -> list[Line]:
    """The lines that hold text."""
    return [(n, t) for n, t in lines if t.strip()]


def join(lines: list[Line]) -> str:
    """Markdown source from numbered lines."""
    return "\n".join(text for _, text in lines).strip("\n")
