"""Read ``references.yaml``: citation key -> {text, doi, url, label}."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .problems import Problems, did_you_mean
from .reader import YAML_LOADER, decode, read_bytes
from .schema import SLUG

FIELDS = ("text", "doi", "url", "label")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


@dataclass
class RefDraft:
    """A reference as written, with the line of its key."""

    key: str
    line: int
    text: str = ""
    doi: str | None = None
    url: str | None = None
    label: str | None = None


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
    if not isinstance(node, yaml.MappingNode):
        out.error(
            line,
            "C3",
            f'reference "{key}" needs fields on indented lines, at least "text: ..."',
        )
        return None
    draft = RefDraft(key=key, line=line)
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
    if not draft.text:
        out.error(
            line, "C3", f'reference "{key}" has no "text:" (the formatted reference)'
        )
        return None
    if draft.doi is not None:
        draft.doi = draft.doi.removeprefix("https://doi.org/").removeprefix("doi:")
        if not _DOI.match(draft.doi):
            out.error(
                line,
                "C3",
                f'doi "{draft.doi}" of "{key}" should look like 10.1037/a0012345',
            )
            return None
    if draft.url is not None and not draft.url.startswith(("https://", "http://")):
        out.error(line, "C3", f'url of "{key}" must start with https://')
        return None
    return draft
