"""``content check``: the command-line core, shared by ``python -m`` and Flask."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, TextIO

from kaptrain.content.catalog import check_drafts
from kaptrain.content.modules import ModuleDraft
from kaptrain.content.problems import Problem


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def run_check(
    directory: Path,
    *,
    strict: bool = False,
    fmt: Literal["text", "json"] = "text",
    out: TextIO,
) -> int:
    """Check a modules tree (or one module folder) and print its problems.

    Text format prints ``path:line: severity CODE: message`` lines, one line of
    figures per module (post-test items, application share, keyed-longest share,
    objectives covered, references with title and DOI/URL, estimated minutes
    against claimed) and a summary. JSON prints ``{"problems": [...],
    "modules": [...]}``: problems as ``{path, line, severity, code, message}``,
    modules as ``{path, id, figures}``. Strict-only warnings appear only with
    ``strict``.
    Returns 0 when clean, 1 on errors (or on warnings with ``strict``), 2 when
    ``directory`` does not exist.
    """
    directory = Path(directory)
    if not directory.is_dir():
        _write_missing(directory, fmt, out)
        return 2
    problems, drafts = check_drafts(directory)
    if not strict:
        problems = tuple(p for p in problems if not p.strict_only)
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    if fmt == "json":
        _write_json(problems, drafts, out)
    else:
        _write_text(problems, drafts, errors, warnings, out)
    if errors or (strict and warnings):
        return 1
    return 0


def _write_missing(directory: Path, fmt: str, out: TextIO) -> None:
    message = (
        f"{directory}: no such directory; pass the folder that holds the "
        "modules, for example: check modules"
    )
    if fmt == "json":
        problem = {
            "path": str(directory),
            "line": 0,
            "severity": "error",
            "code": "",
            "message": message,
        }
        json.dump({"problems": [problem], "modules": []}, out)
        out.write("\n")
    else:
        out.write(message + "\n")


def _write_json(
    problems: Sequence[Problem], drafts: Sequence[ModuleDraft], out: TextIO
) -> None:
    modules = [
        {
            "path": d.display,
            "id": d.id,
            "figures": d.figures.as_dict() if d.figures else None,
        }
        for d in drafts
    ]
    json.dump(
        {"problems": [p.as_dict() for p in problems], "modules": modules},
        out,
        indent=2,
        ensure_ascii=False,
    )
    out.write("\n")


def _write_text(
    problems: Sequence[Problem],
    drafts: Sequence[ModuleDraft],
    errors: int,
    warnings: int,
    out: TextIO,
) -> None:
    for problem in problems:
        out.write(f"{problem}\n")
    for draft in drafts:
        if draft.figures is not None:
            out.write(f"{draft.display}: {draft.figures.summary()}\n")
    count = len(drafts)
    affected = len({p.path.rsplit("/", 1)[0] for p in problems})
    if problems:
        out.write(
            f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in "
            f"{_plural(affected, 'module')} ({_plural(count, 'module')} "
            "checked)\n"
        )
    else:
        out.write(f"no problems in {_plural(count, 'module')}\n")
