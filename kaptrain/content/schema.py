"""Front-matter schema per kind: which keys exist and how each value converts."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from kaptrain.content.planners import NESTED_KEYS, read_planners
from kaptrain.content.problems import Problems, did_you_mean
from kaptrain.content.reader import MetaValue

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_WHOLE = re.compile(r"^[0-9]+$")
_DECIMAL = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
_UNMEASURABLE = (
    "understand",
    "know ",
    "learn ",
    "appreciate",
    "be aware",
    "become aware",
    "become familiar",
    "be familiar",
    "gain insight",
)

KINDS = ("module", "lesson", "quiz", "vignette", "evaluation")


def slugify(text: str) -> str:
    """A best-effort slug for suggestions (``"Racial Trauma"`` -> ``racial-trauma``)."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


def _text(value: MetaValue, key: str, out: Problems) -> str | None:
    if value.text is None:
        out.error(
            value.line, "F10", f'"{key}" must be a single line of text, not a list'
        )
        return None
    if not value.text.strip():
        out.error(value.line, "F10", f'"{key}" is empty; write a value after the colon')
        return None
    return value.text.strip()


def _slug(value: MetaValue, key: str, out: Problems) -> str | None:
    text = _text(value, key, out)
    if text is not None and not SLUG.match(text):
        out.error(
            value.line,
            "F10",
            f'"{key}" must be a slug (lowercase letters, '
            f'digits and single hyphens), got "{text}". Try "{slugify(text)}"',
        )
        return None
    return text


def _whole(value: MetaValue, key: str, out: Problems) -> int | None:
    text = _text(value, key, out)
    if text is None:
        return None
    if not _WHOLE.match(text):
        digits = re.findall(r"[0-9]+", text)
        hint = ""
        if re.match(r"^\d+:\d\d$", text):
            hours, minutes = text.split(":")
            hint = f' Write minutes as a number: "{int(hours) * 60 + int(minutes)}"'
        elif digits:
            hint = f' Try "{digits[0]}"'
        out.error(
            value.line, "F10", f'"{key}" must be a whole number, got "{text}".{hint}'
        )
        return None
    return int(text)


def _minutes(value: MetaValue, key: str, out: Problems) -> int | None:
    number = _whole(value, key, out)
    if number == 0:
        out.error(value.line, "F10", f'"{key}" must be at least 1')
        return None
    return number


def _decimal(value: MetaValue, key: str, out: Problems) -> Decimal | None:
    text = _text(value, key, out)
    if text is None:
        return None
    if not _DECIMAL.match(text) or Decimal(text) == 0:
        out.error(
            value.line,
            "F10",
            f'"{key}" must be a positive decimal number such as 5 or 5.5, got "{text}"',
        )
        return None
    return Decimal(text)


def _version(value: MetaValue, key: str, out: Problems) -> str | None:
    text = _text(value, key, out)
    if text is not None and not _VERSION.match(text):
        parts = re.findall(r"[0-9]+", text)[:3]
        hint = ".".join(parts + ["0"] * (3 - len(parts))) if parts else "1.0.0"
        out.error(
            value.line, "F10", f'"{key}" must be x.y.z, got "{text}". Try "{hint}"'
        )
        return None
    return text


def _bool(value: MetaValue, key: str, out: Problems) -> bool | None:
    text = _text(value, key, out)
    if text is None:
        return None
    if text in ("true", "false"):
        return text == "true"
    guess = "true" if text.lower() in ("yes", "y", "on", "true", "1") else "false"
    out.error(
        value.line,
        "F10",
        f'"{key}" must be true or false, got "{text}". Did you mean "{guess}"?',
    )
    return None


def _items(value: MetaValue, key: str, out: Problems) -> list[tuple[str, int]] | None:
    if value.items is None:
        example = (value.text or "item").strip() or "item"
        out.error(
            value.line,
            "F10",
            f'"{key}" must be a list: put each item on its '
            f'own line below the key, like "  - {example}"',
        )
        return None
    for text, line in value.items:
        if not text.strip():
            out.error(line, "F10", f'an item of "{key}" is empty')
            return None
    return [(text.strip(), line) for text, line in value.items]


def _text_list(value: MetaValue, key: str, out: Problems) -> tuple[str, ...] | None:
    items = _items(value, key, out)
    if items is None:
        return None
    for text, line in items:
        lowered = text.lower()
        if lowered.startswith(_UNMEASURABLE) and key == "objectives":
            out.warning(
                line,
                "M14",
                f'objective "{text}" is not measurable; start '
                'with a verb a test can observe, such as "describe", '
                '"identify", "apply" or "compare"',
            )
    return tuple(text for text, _ in items)


def _slug_list(value: MetaValue, key: str, out: Problems) -> tuple[str, ...] | None:
    items = _items(value, key, out)
    if items is None:
        return None
    for text, line in items:
        if not SLUG.match(text):
            out.error(
                line,
                "F10",
                f'"{text}" in "{key}" is not a module id; ids '
                f'are slugs such as "{slugify(text)}"',
            )
            return None
    return tuple(text for text, _ in items)


def _file_list(
    value: MetaValue, key: str, out: Problems
) -> tuple[tuple[str, int], ...] | None:
    items = _items(value, key, out)
    return tuple(items) if items is not None else None


Converter = Callable[[MetaValue, str, Problems], Any]

_COMMON: dict[str, tuple[Converter, bool]] = {
    "kind": (_text, True),
    "id": (_slug, True),
    "title": (_text, True),
}

SCHEMAS: dict[str, dict[str, tuple[Converter, bool]]] = {
    "module": {
        **_COMMON,
        "summary": (_text, True),
        "version": (_version, True),
        "order": (_whole, True),
        "ce_hours": (_decimal, True),
        "objectives": (_text_list, True),
        "contents": (_file_list, True),
        "prerequisites": (_slug_list, False),
        "audience": (_text, False),
        "level": (_text, False),
        "content_note": (_text, False),
        "planners": (read_planners, False),
    },
    "lesson": {
        **_COMMON,
        "estimated_minutes": (_minutes, True),
        "objectives": (_text_list, False),
        "content_note": (_text, False),
        "optional": (_bool, False),
    },
    "quiz": {
        **_COMMON,
        "pass_percent": (_whole, False),
        "pretest": (_bool, False),
        "shuffle_options": (_bool, False),
        "max_attempts": (_minutes, False),
        "retry_wait_minutes": (_whole, False),
        "estimated_minutes": (_minutes, False),
    },
    "vignette": {
        **_COMMON,
        "start": (_slug, True),
        "based_on": (_text, True),
        "estimated_minutes": (_minutes, True),
        "content_note": (_text, False),
        "optional": (_bool, False),
    },
    "evaluation": {**_COMMON, "estimated_minutes": (_minutes, False)},
}


def detect_kind(
    meta: dict[str, MetaValue], is_module_file: bool, out: Problems
) -> str | None:
    """Return the file's kind, checking it fits the file name."""
    value = meta.get("kind")
    if value is None:
        expected = (
            "module" if is_module_file else "lesson, quiz, vignette or evaluation"
        )
        out.error(1, "F9", f'missing required key "kind" ({expected})')
        return None
    kind = (value.text or "").strip()
    if kind not in KINDS:
        out.error(
            value.line,
            "F11",
            f'unknown kind "{kind}"; use one of '
            f"{', '.join(KINDS)}.{did_you_mean(kind, KINDS)}",
        )
        return None
    if is_module_file and kind != "module":
        out.error(value.line, "F11", 'module.md must have "kind: module"')
        return None
    if not is_module_file and kind == "module":
        out.error(value.line, "F11", '"kind: module" belongs only in module.md')
        return None
    return kind


def convert(kind: str, meta: dict[str, MetaValue], out: Problems) -> dict[str, Any]:
    """Check keys against the kind's schema and convert values.

    Returns only keys that converted cleanly; problems explain the rest.
    """
    schema = SCHEMAS[kind]
    result: dict[str, Any] = {}
    suggested: set[str] = set()  # a misspelt key already explains the missing one
    for key, value in meta.items():
        if key not in schema:
            other = [k for k, s in SCHEMAS.items() if key in s and k != kind]
            if other:
                out.error(
                    value.line,
                    "F3",
                    f'key "{key}" is not used in a {kind} (it belongs in a {other[0]})',
                )
            else:
                hint = did_you_mean(key, schema)
                suggested.update(k for k in schema if hint == f' Did you mean "{k}"?')
                if not hint:
                    everywhere = {k for s in SCHEMAS.values() for k in s}
                    hint = did_you_mean(key, everywhere)
                    hint = f"{hint[:-1]} (not used in a {kind})?" if hint else ""
                out.error(value.line, "F3", f'unknown key "{key}".{hint}')
            continue
        if value.shape_error and key not in NESTED_KEYS:
            out.error(value.line, "F10", f'"{key}" must be {value.shape_error}')
            continue
        converted = schema[key][0](value, key, out)
        if converted is not None:
            result[key] = converted
    for key, (_, required) in schema.items():
        if required and key not in meta and key not in suggested:
            out.error(1, "F9", f'missing required key "{key}" for a {kind}')
    return result


def meta_line(meta: dict[str, MetaValue], key: str, default: int = 1) -> int:
    """The line a key was written on, or ``default``."""
    value = meta.get(key)
    return value.line if value is not None else default
