"""Read ``references.yaml``: citation key -> structured fields (or legacy ``text``).

Authors write the parts of a reference (``type``, ``authors``, ``year``,
``title``, ``journal`` ...); :func:`format_reference` turns them into an APA 7
style reference in Markdown, escaping every field so a title can never become
markup. A hand-formatted ``text:`` is still read (strict mode asks for fields).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from kaptrain.content.problems import Problems, did_you_mean
from kaptrain.content.reader import YAML_LOADER, decode, read_bytes
from kaptrain.content.schema import SLUG

TYPES = ("article", "book", "chapter", "report", "label", "guideline", "web")
#: Types that name an organisation's document, found at a stable address.
LOCATED = ("report", "label", "guideline", "web")
STRUCTURED = (
    "type",
    "authors",
    "year",
    "title",
    "journal",
    "volume",
    "issue",
    "pages",
    "publisher",
    "editors",
    "book",
    "edition",
    "doi_reason",
)
FIELDS = ("text", "doi", "url", "label", "note", *STRUCTURED)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


@dataclass
class RefDraft:
    """A reference as written, with the line of its key and of each field."""

    key: str
    line: int
    text: str = ""
    doi: str | None = None
    url: str | None = None
    label: str | None = None
    note: str | None = None
    type: str | None = None
    authors: str | None = None
    year: str | None = None
    title: str | None = None
    journal: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    publisher: str | None = None
    editors: str | None = None
    book: str | None = None
    edition: str | None = None
    doi_reason: str | None = None
    #: ``doi: none`` was written (with a reason): the work has no DOI.
    no_doi: bool = False
    lines: dict[str, int] | None = None

    @property
    def structured(self) -> bool:
        """True when written with fields rather than a hand-formatted ``text``."""
        return not self.text

    @property
    def has_link(self) -> bool:
        """True when the reader can follow a DOI or a URL to the work."""
        return bool(self.doi or self.url)

    def at(self, name: str) -> int:
        """The line of a field (the key's line when absent)."""
        return (self.lines or {}).get(name, self.line)


# Python-Markdown's escapable characters (with the tables extension's "|"):
# a backslash before any other character would show.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!>|-])")


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown punctuation so a field renders as plain text."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _sentence(text: str) -> str:
    """Escaped text ending with one full stop (not after ? or !)."""
    text = escape_markdown(text)
    return text if text.endswith((".", "?", "!")) else text + "."


def _italic(text: str) -> str:
    return f"*{escape_markdown(text)}*"


def _title_and_source(ref: RefDraft) -> tuple[str, list[str]]:
    """The formatted title and what follows it (source, publisher), by type."""
    kind = ref.type or "article"
    title = ref.title or ""
    rest: list[str] = []
    if kind in ("article", "chapter"):
        heading = _sentence(title) if title else ""
        if kind == "article":
            source = []
            if ref.journal:
                source.append(_italic(ref.journal))
            if ref.volume:
                volume = _italic(ref.volume)
                if ref.issue:
                    volume += f"({escape_markdown(ref.issue)})"
                source.append(volume)
            if ref.pages:
                source.append(escape_markdown(ref.pages))
            if source:
                rest.append(", ".join(source) + ".")
            return heading, rest
        inner = "In "
        if ref.editors:
            role = "Eds." if "&" in ref.editors or " and " in ref.editors else "Ed."
            inner += f"{escape_markdown(ref.editors)} ({role}), "
        details = []
        if ref.edition:
            details.append(f"{escape_markdown(ref.edition)} ed.")
        if ref.pages:
            details.append(f"pp. {escape_markdown(ref.pages)}")
        inner += _italic(ref.book or "")
        if details:
            inner += f" ({', '.join(details)})"
        rest.append(inner + ".")
        if ref.publisher:
            rest.append(_sentence(ref.publisher))
        return heading, rest
    # book, report, guideline, label, web: the title is in italics
    heading = ""
    if title:
        heading = _italic(title)
        if ref.edition:
            heading += f" ({escape_markdown(ref.edition)} ed.)"
        heading += "" if title.endswith(("?", "!")) else "."
    # APA omits the publisher when it is also the author.
    if (
        ref.publisher
        and ref.publisher != ref.authors
        and (ref.authors or kind == "book")
    ):
        rest.append(_sentence(ref.publisher))
    return heading, rest


def format_reference(ref: RefDraft) -> str:
    """An APA 7 style reference in (escaped) Markdown, without the DOI/URL link.

    Legacy entries return their ``text``. The DOI or URL is shown by the page
    beside the reference, as a link.
    """
    if ref.text:
        body = ref.text
    else:
        who = ref.authors or (ref.publisher if ref.type != "book" else None)
        year = f"({escape_markdown(ref.year or 'n.d.')})."
        heading, rest = _title_and_source(ref)
        # APA: without an author the title moves to the author's place.
        parts = [f"{_sentence(who)} {year}", heading] if who else [heading, year]
        body = " ".join(p for p in [*parts, *rest] if p)
    if ref.note:
        body += f" ({escape_markdown(ref.note)})"
    return body or escape_markdown(ref.key)


def read_references(path: Path, out: Problems) -> dict[str, RefDraft] | None:
    """Parse the file; ``None`` means it is unusable (problems explain why)."""
    data = read_bytes(path, out)
    text = decode(data, out) if data is not None else None
    if text is None:
        return None
    try:
        root = yaml.compose(text, Loader=YAML_LOADER)  # noqa: S506 - BaseLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        problem = getattr(exc, "problem", None) or "cannot be read"
        out.error(
            line,
            "C3",
            f"YAML syntax error at column {column}: {problem}; put "
            'values containing a colon in double quotes: text: "Carter, R. T. '
            '(2007): ..."',
        )
        return None
    except (RecursionError, ValueError) as exc:
        out.error(1, "C3", f"references.yaml could not be read: {exc}")
        return None
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        out.error(
            1,
            "C3",
            "references.yaml must map each key to its fields, like\n"
            "carter-2007:\n  text: Carter, R. T. (2007). ...",
        )
        return None
    refs: dict[str, RefDraft] = {}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        if not SLUG.match(key):
            out.error(
                line,
                "C3",
                f'reference key "{key}" must be a lowercase slug such as "carter-2007"',
            )
            continue
        if key in refs:
            out.error(
                line,
                "C3",
                f'reference "{key}" is defined twice (first on line {refs[key].line})',
            )
            continue
        draft = _entry(key, line, value_node, out)
        if draft is not None:
            refs[key] = draft
    return refs


def _entry(key: str, line: int, node: yaml.Node, out: Problems) -> RefDraft | None:
    """One reference, checked (C3); None after reporting what is wrong with it."""
    draft = _read_fields(key, line, node, out)
    if draft is None:
        return None
    if not _check_type(draft, key, line, out) or not _check_doi(draft, key, line, out):
        return None
    if draft.url is not None and not draft.url.startswith(("https://", "http://")):
        out.error(line, "C3", f'url of "{key}" must start with https://')
        return None
    return draft


def _read_fields(
    key: str, line: int, node: yaml.Node, out: Problems
) -> RefDraft | None:
    """The reference's known fields, each one line of text."""
    if not isinstance(node, yaml.MappingNode):
        out.error(
            line,
            "C3",
            f'reference "{key}" needs fields on indented lines, such as '
            '"type: article", "authors: ...", "title: ..."',
        )
        return None
    draft = RefDraft(key=key, line=line, lines={})
    for field_node, value in node.value:
        name = field_node.value if isinstance(field_node, yaml.ScalarNode) else ""
        at = field_node.start_mark.line + 1
        if name not in FIELDS:
            out.error(
                at,
                "C3",
                f'unknown reference field "{name}"; use '
                f"{', '.join(FIELDS)}.{did_you_mean(name, FIELDS)}",
            )
            return None
        if not isinstance(value, yaml.ScalarNode) or not value.value.strip():
            out.error(
                at, "C3", f'"{name}" of reference "{key}" must be one line of text'
            )
            return None
        setattr(draft, name, value.value.strip())
        draft.lines[name] = at  # type: ignore[index]
    return draft


def _check_type(draft: RefDraft, key: str, line: int, out: Problems) -> bool:
    """A title or authors, and a known type: when written with fields."""
    if not draft.text and not (draft.title or draft.authors):
        out.error(
            line,
            "C3",
            f'reference "{key}" has neither "title:" nor "authors:"; write the '
            "reference's fields (type, authors, year, title, ...)",
        )
        return False
    if draft.structured and draft.type is None:
        out.error(
            line,
            "C3",
            f'reference "{key}" has no "type:"; the platform formats it by type: '
            f"{', '.join(TYPES)}",
        )
        return False
    if draft.type is not None and draft.type not in TYPES:
        out.error(
            draft.at("type"),
            "C3",
            f'unknown reference type "{draft.type}" of "{key}"; use '
            f"{', '.join(TYPES)}.{did_you_mean(draft.type, TYPES)}",
        )
        return False
    return True


def _check_doi(draft: RefDraft, key: str, line: int, out: Problems) -> bool:
    """A DOI of the right shape, or ``doi: none`` with a doi_reason (normalises)."""
    if draft.doi is not None and draft.doi.casefold() == "none":
        if not draft.doi_reason:
            out.error(
                draft.at("doi"),
                "C3",
                f'"doi: none" of "{key}" needs a doi_reason: saying why the work '
                'has no DOI, like doi_reason: "the journal assigns no DOIs"',
            )
            return False
        draft.doi, draft.no_doi = None, True
    elif draft.doi_reason is not None:
        out.error(
            draft.at("doi_reason"),
            "C3",
            f'doi_reason of "{key}" explains "doi: none"; write doi: none, '
            "or remove doi_reason",
        )
        return False
    if draft.doi is not None:
        draft.doi = draft.doi.removeprefix("https://doi.org/").removeprefix("doi:")
        if not _DOI.match(draft.doi):
            out.error(
                line,
                "C3",
                f'doi "{draft.doi}" of "{key}" should look like 10.1037/a0012345',
            )
            return False
    return True
