"""Read a content file safely: bytes -> text -> front matter + body lines.

Nothing here raises on bad input: every defect becomes a :class:`Problem` and
the caller gets ``None`` (nothing usable) or a :class:`SourceFile`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kaptrain.content.problems import Problems

#: Content files above this size are refused. Real lessons are a few kilobytes;
#: a huge file is almost always a pasted export or a mistake.
MAX_BYTES = 1024 * 1024

#: libyaml when installed (about ten times faster); both keep every value a string.
YAML_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

_FENCE = re.compile(r"^---\s*$")
_KEY_VALUE = re.compile(r"^(\s*-?\s*)([A-Za-z_][\w-]*):\s+(.+?)\s*$")


@dataclass
class MetaValue:
    """A front-matter value as written: a string, or a list of (string, line)."""

    line: int
    text: str | None = None
    items: list[tuple[str, int]] | None = None
    shape_error: str | None = None
    #: The YAML node of a nested value (kept for keys that allow nesting, such
    #: as a module's ``planners``) and the file line its marks count from.
    node: yaml.Node | None = None
    first_line: int = 0


@dataclass
class SourceFile:
    """A decoded file with its raw front matter and body lines."""

    path: Path
    display: str
    raw: bytes
    meta: dict[str, MetaValue] = field(default_factory=dict)
    body: list[tuple[int, str]] = field(default_factory=list)
    has_front_matter: bool = False


def read_bytes(path: Path, out: Problems) -> bytes | None:
    """Read a file, refusing oversized files before reading them."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            out.error(
                1,
                "F2",
                f"file is {size:,} bytes; the limit is {MAX_BYTES:,}. Split it into "
                "smaller lessons or move large media into media/",
            )
            return None
        return path.read_bytes()
    except OSError as exc:
        out.error(1, "F1", f"cannot read the file: {exc.strerror or exc}")
        return None


def decode(data: bytes, out: Problems) -> str | None:
    """Decode UTF-8 (a leading BOM is dropped); report NULs and bad bytes by line."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        out.error(line, "F4", "file contains NUL bytes; it looks binary, not text")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        out.error(
            line,
            "F1",
            f"byte 0x{data[exc.start]:02x} at column {col} is not valid UTF-8; "
            "save the file as UTF-8 in your editor",
        )
        return None
    text = text.removeprefix("\ufeff")
    # str.splitlines() also splits on form feeds and U+2028, which editors do
    # not count as lines; splitting on \n keeps line numbers honest.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_lines(text: str) -> list[tuple[int, str]]:
    """Number the lines of ``text`` from 1."""
    return list(enumerate(text.split("\n"), start=1))


def read_source(path: Path, display: str, out: Problems) -> SourceFile | None:
    """Read a Markdown content file with front matter, or return ``None``."""
    data = read_bytes(path, out)
    if data is None:
        return None
    text = decode(data, out)
    if text is None:
        return None
    lines = split_lines(text)
    source = SourceFile(path=path, display=display, raw=data)
    if not lines or not _FENCE.match(lines[0][1]):
        hint = "add front matter: a line ---, key: value lines, and a line ---"
        for number, line in lines[:10]:
            if _FENCE.match(line):
                hint = (
                    f"move the --- on line {number} to line 1; nothing may precede it"
                )
                break
        out.error(1, "F5", f"the file must start with front matter on line 1; {hint}")
        return None
    close = next(
        (i for i, (_, line) in enumerate(lines[1:], 1) if _FENCE.match(line)), None
    )
    if close is None:
        out.error(
            1,
            "F6",
            "front matter opened on line 1 is never closed; add a --- "
            "line after the last key",
        )
        return None
    meta = parse_front_matter(lines[1:close], out)
    if meta is None:
        return None
    source.meta = meta
    source.body = lines[close + 1 :]
    source.has_front_matter = True
    return source


def _yaml_error(
    exc: yaml.YAMLError, lines: list[tuple[int, str]], out: Problems, first_line: int
) -> None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
    line, col = first_line, 1
    if mark is not None:
        line, col = first_line + mark.line, mark.column + 1
    hint = (
        "if a value contains a colon, a # or starts with a quote, [ or {, "
        "put the whole value in double quotes"
    )
    index = line - first_line
    if 0 <= index < len(lines):
        match = _KEY_VALUE.match(lines[index][1])
        if match and not match.group(3).startswith('"'):
            value = match.group(3).replace("\\", "\\\\").replace('"', '\\"')
            hint = f'put the value in double quotes: {match.group(2)}: "{value}"'
    out.error(line, "F7", f"YAML syntax error at column {col}: {problem}; {hint}")


def parse_front_matter(
    lines: list[tuple[int, str]],
    out: Problems,
) -> dict[str, MetaValue] | None:
    """Compose the YAML with every value as a string and keep each key's line."""
    first_line = lines[0][0] if lines else 2
    text = "\n".join(line for _, line in lines)
    try:
        node = yaml.compose(text, Loader=YAML_LOADER)  # noqa: S506 - BaseLoader
    except yaml.YAMLError as exc:
        _yaml_error(exc, lines, out, first_line)
        return None
    except (RecursionError, ValueError) as exc:
        out.error(first_line, "F7", f"YAML could not be read: {exc}")
        return None
    return mapping_from_node(node, first_line, out, code="F8", dup_code="F12")


def mapping_from_node(
    node: yaml.Node | None, first_line: int, out: Problems, *, code: str, dup_code: str
) -> dict[str, MetaValue] | None:
    """Turn a composed mapping into ``{key: MetaValue}`` with line numbers.

    Values may be scalars or lists of scalars; anything deeper is recorded as a
    shape error on the value (and nested mappings are kept for references).
    """
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        out.error(
            first_line + node.start_mark.line,
            code,
            "expected key: value lines (for example  title: Racial trauma)",
        )
        return None
    result: dict[str, MetaValue] = {}
    for key_node, value_node in node.value:
        line = first_line + key_node.start_mark.line
        if not isinstance(key_node, yaml.ScalarNode):
            out.error(line, code, "a key must be a plain word such as title")
            continue
        key = key_node.value
        if key in result:
            out.error(
                line,
                dup_code,
                f'key "{key}" is given twice (first on line '
                f"{result[key].line}); keep one",
            )
            continue
        result[key] = value_from_node(value_node, line, first_line)
    return result


def value_from_node(node: yaml.Node, line: int, first_line: int) -> MetaValue:
    """Convert one value node; nested structures become a shape error."""
    if isinstance(node, yaml.ScalarNode):
        return MetaValue(line=line, text=node.value)
    if isinstance(node, yaml.SequenceNode):
        items: list[tuple[str, int]] = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                return MetaValue(
                    line=line,
                    shape_error="a list of plain text items",
                    node=node,
                    first_line=first_line,
                )
            items.append((item.value, first_line + item.start_mark.line))
        return MetaValue(line=line, items=items)
    return MetaValue(
        line=line,
        shape_error="a single value or a list, not a mapping",
        node=node,
        first_line=first_line,
    )
