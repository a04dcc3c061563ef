"""Problems found while reading and checking content, and the table of codes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]

#: Every code the checker emits, with a one-line title. ``docs/authoring.md``
#: explains each one with an example of the mistake and the fix; a test keeps the
#: two in step.
CODES: dict[str, str] = {
    # F: files and front matter
    "F1": "file is not valid UTF-8",
    "F2": "file is too large",
    "F3": "unknown front-matter key",
    "F4": "file is binary (contains NUL bytes)",
    "F5": "front matter missing: the file must start with a --- line",
    "F6": "front matter is never closed",
    "F7": "YAML syntax error in front matter",
    "F8": "front matter is not a list of key: value lines",
    "F9": "required key missing",
    "F10": "value has the wrong type or is empty",
    "F11": "unknown or misplaced kind",
    "F12": "key given twice",
    # M: module
    "M1": "module folder has no module.md",
    "M2": "module id used by more than one module",
    "M3": "module order used by more than one module",
    "M4": "prerequisite names no module",
    "M5": "prerequisites form a cycle",
    "M6": "contents names a file that does not exist",
    "M7": "a .md file is not listed in contents",
    "M8": "contents entry listed twice or not allowed",
    "M9": "item id used twice in the module",
    "M10": "module must have exactly one quiz",
    "M11": "module must have exactly one evaluation",
    "M12": "estimated minutes do not match ce_hours (warning)",
    "M13": "quiz has fewer than 6 questions per CE hour (warning)",
    "M14": "objective is not measurable (warning)",
    "M15": "ce_hours claim more time than the content takes (warning)",
    "M16": "objective is assessed by no post-test question",
    "M17": "planners entry is malformed",
    "M18": "module lists no planners and disclosures (warning in strict mode only)",
    # B: blocks and prose
    "B1": "block is never closed",
    "B2": "blocks are nested",
    "B3": "block name not allowed in this kind of file",
    "B4": "raw HTML",
    "B5": "closing ::: without an open block",
    "B6": "block id or title missing or malformed",
    "B7": "text outside blocks",
    "B8": "block is empty",
    # Q: quiz
    "Q1": "question id used twice",
    "Q2": "unknown question type",
    "Q3": "wrong number of correct options",
    "Q4": "multiple-answer question needs correct and incorrect options",
    "Q5": "too few options",
    "Q6": "question has no stem",
    "Q7": "feedback line not directly under an option",
    "Q8": "option marker is malformed",
    "Q9": "pass_percent out of range",
    "Q10": "order question options take no marker",
    "Q11": "true-false options must be True and False",
    "Q12": "unexpected line in a question",
    "Q13": "option has no text",
    "Q14": "question attribute unknown, repeated or malformed",
    "Q15": "question names an objective module.md does not list",
    "Q16": "question names no objective (warning)",
    "Q17": "question has no :level: (warning in strict mode only)",
    "Q18": "fewer than half the post-test items are application items (warning)",
    "Q19": "post-test sets no max_attempts or retry_wait_minutes (warning)",
    # W: item-writing cues in the post-test (warnings)
    "W-LONGEST": "the correct option is the longest too often (warning)",
    "W-CUE": "only the correct option repeats a word of the stem (warning)",
    "W-ALL": '"all of the above" or "none of the above" (warning)',
    "W-NEG": "negatively worded stem without emphasis (warning)",
    # V: vignette
    "V1": "node id used twice",
    "V2": "choice or continue target names no node",
    "V3": "start names no node",
    "V4": "node cannot be reached from start",
    "V5": "dead end: node has no way on",
    "V6": "ending has exits",
    "V7": "no ending can be reached",
    "V8": "unknown choice rating",
    "V9": "node structure is wrong",
    "V10": "choice line is malformed",
    # E: evaluation
    "E1": "evaluation item id used twice",
    "E2": "evaluation has no rating",
    # C: citations and references
    "C1": "citation key not in references.yaml",
    "C2": "reference never cited (warning)",
    "C3": "references.yaml entry is malformed",
    "C4": "citation is malformed",
    "C5": "reference has no title (warning)",
    "C6": "journal article has no DOI (warning)",
    "C7": "report, guideline, label or web page has no URL or DOI (warning)",
    "C8": "reference written as text: instead of fields (warning in strict mode only)",
    # L: links and images
    "L1": "relative link does not resolve",
    "L2": "image file does not exist",
    "L3": "image has no alt text",
    "L4": "link or image points outside the module folder",
    "L5": "link uses a scheme that is not allowed",
    "L6": "image or linked file is not in the module's media/ folder",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One problem, printed as ``path:line: severity CODE: message``.

    ``path`` is relative to the parent of the checked directory, in POSIX form
    (checking ``modules/`` gives ``modules/racial-trauma/quiz.md``), so the line
    can be pasted into an editor from where the command was run.
    """

    path: str
    line: int
    severity: Severity
    code: str
    message: str
    #: A warning only ``content check --strict`` reports (and then fails on);
    #: the plain check leaves it out, content health lists it.
    strict_only: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity} {self.code}: {self.message}"

    @property
    def is_error(self) -> bool:
        """True for errors, False for warnings."""
        return self.severity == "error"

    def as_dict(self) -> dict[str, str | int]:
        """A JSON-ready mapping, used by ``check --format json``."""
        return {
            "path": self.path,
            "line": self.line,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


class Problems:
    """Collects problems for one file (``path``), appending to a shared list."""

    def __init__(self, path: str, sink: list[Problem]) -> None:
        self.path = path
        self.sink = sink

    def error(self, line: int, code: str, message: str) -> None:
        """Record an error at ``line``."""
        self.sink.append(Problem(self.path, max(line, 1), "error", code, message))

    def warning(self, line: int, code: str, message: str) -> None:
        """Record a warning at ``line``."""
        self.sink.append(Problem(self.path, max(line, 1), "warning", code, message))

    def strict_warning(self, line: int, code: str, message: str) -> None:
        """Record a warning that only strict checking reports."""
        self.sink.append(
            Problem(self.path, max(line, 1), "warning", code, message, strict_only=True)
        )

    def for_path(self, path: str) -> Problems:
        """A collector for another file sharing the same list."""
        return Problems(path, self.sink)


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str:
    """Return ``' Did you mean "x"?'`` for the closest candidate, or ``''``."""
    pool = list(candidates)
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=cutoff)
    if not matches:
        folded = {c.casefold(): c for c in pool}
        if word.casefold() in folded:
            matches = [folded[word.casefold()]]
    return f' Did you mean "{matches[0]}"?' if matches else ""


def has_errors(problems: Iterable[Problem]) -> bool:
    """True when any problem is an error."""
    return any(p.is_error for p in problems)
