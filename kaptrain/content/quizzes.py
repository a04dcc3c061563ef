"""Parse ``::: question`` blocks into drafts (Markdown source plus line numbers)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kaptrain.content.blocks import Block, Line
from kaptrain.content.problems import Problems, did_you_mean
from kaptrain.content.schema import SLUG

TYPES = ("single", "multiple", "true-false", "order")
#: Cognitive level of an item; ``apply`` is a short clinical scenario, then a
#: decision. Absent means ``recall``.
LEVELS = ("recall", "understand", "apply")
ATTRIBUTES = ("type", "objectives", "level")

_ATTRIBUTE = re.compile(r"^:([A-Za-z_-]+):\s*(.*?)\s*$")
_OPTION = re.compile(r"^- \[([ x])\] (.*)$")
_ORDER_OPTION = re.compile(r"^- (?!\[[ xX]?\] )(\S.*)$")
_FEEDBACK = re.compile(r"^\s*>\s?(.*)$")
_EXPLANATION = re.compile(r"^Explanation:\s*(.*)$")
# Anything that looks like an attempt at a checkbox: "[ x]", "[v]", "(x)",
# "[X ]", "* [x]", "-[x]", "- [x]text", "[x] text" ...
_NEAR_MISS = re.compile(
    r"^\s*(?:[-*+]\s*)?[\[(]\s*([xXvV*✓✔✗ ]{0,3})\s*[\])](?!\()\s*(.*)$"
)


@dataclass
class OptionDraft:
    """One option: marker, text lines and feedback lines."""

    line: int
    correct: bool
    text: list[Line]
    feedback: list[Line] = field(default_factory=list)


@dataclass
class QuestionDraft:
    """A question as written, before rendering."""

    id: str
    line: int
    type: str = "single"
    #: 1-based positions in the module's ``objectives`` list (``:objectives:``).
    objectives: tuple[int, ...] = ()
    objectives_line: int | None = None
    #: ``:level:``; None when absent (counted as ``recall``).
    level: str | None = None
    level_line: int | None = None
    stem: list[Line] = field(default_factory=list)
    options: list[OptionDraft] = field(default_factory=list)
    explanation: list[Line] = field(default_factory=list)


def parse_question(block: Block, out: Problems) -> QuestionDraft | None:
    """Parse one question block, reporting every structural mistake."""
    if not SLUG.match(block.arg):
        out.error(
            block.line,
            "B6",
            'a question needs an id: "::: question my-id" '
            "(lowercase letters, digits, hyphens)",
        )
        return None
    question = QuestionDraft(id=block.arg, line=block.line)
    lines = block.lines
    start = 0
    seen: dict[str, int] = {}
    ok = True
    # Attribute lines (:type:, :objectives:, :level:) open the block, in any
    # order, before the stem; blank lines between them are allowed.
    for index, (number, text) in enumerate(lines):
        if not text.strip():
            continue
        match = _ATTRIBUTE.match(text)
        if not match:
            break
        start = index + 1
        name, value = match.group(1), (match.group(2) or "").strip()
        if name in seen:
            out.error(
                number,
                "Q14",
                f":{name}: is given twice (first on line {seen[name]}); keep one",
            )
            ok = False
            continue
        seen[name] = number
        if name == "type":
            if value not in TYPES:
                out.error(
                    number,
                    "Q2",
                    f'unknown question type "{value}"; use '
                    f"{', '.join(TYPES)}.{did_you_mean(value, TYPES)}",
                )
                return None
            question.type = value
        elif name == "objectives":
            ok = _objectives(question, number, value, out) and ok
        elif name == "level":
            ok = _level(question, number, value, out) and ok
        else:
            out.error(
                number,
                "Q14",
                f'unknown question attribute ":{name}:"; use '
                f"{', '.join(f':{a}:' for a in ATTRIBUTES)}."
                f"{did_you_mean(name, ATTRIBUTES)}",
            )
            ok = False
    ok = _parse_body(question, lines[start:], out) and ok
    return question if ok else None


def _objectives(q: QuestionDraft, number: int, value: str, out: Problems) -> bool:
    """``:objectives: 2, 4`` -> (2, 4); the module checks the range later."""
    parts = [p.strip() for p in value.replace(";", ",").split(",")]
    if not value or not all(p.isdigit() and int(p) > 0 for p in parts):
        out.error(
            number,
            "Q14",
            f":objectives: must list objective numbers from module.md, "
            f'separated by commas, like ":objectives: 2, 4"; got "{value}"',
        )
        return False
    numbers = tuple(dict.fromkeys(int(p) for p in parts))
    q.objectives, q.objectives_line = numbers, number
    return True


def _level(q: QuestionDraft, number: int, value: str, out: Problems) -> bool:
    folded = value.casefold()
    if folded not in LEVELS:
        hint = did_you_mean(folded, LEVELS) or (
            ' Did you mean "apply"?' if folded.startswith("appl") else ""
        )
        out.error(
            number,
            "Q14",
            f'unknown level "{value}"; use {", ".join(LEVELS)}.{hint}',
        )
        return False
    q.level, q.level_line = folded, number
    return True


def _parse_body(q: QuestionDraft, lines: list[Line], out: Problems) -> bool:
    ok = True
    state = "stem"  # stem -> options -> explanation
    last: OptionDraft | None = None  # option that may take feedback/continuation
    for number, text in lines:
        if state == "explanation":
            q.explanation.append((number, text))
            continue
        explanation = _EXPLANATION.match(text)
        if explanation:
            state = "explanation"
            q.explanation.append((number, explanation.group(1)))
            continue
        attribute = _ATTRIBUTE.match(text)
        if attribute and attribute.group(1) in ATTRIBUTES:
            out.error(
                number,
                "Q12",
                "question attributes (:type:, :objectives:, :level:) must be "
                "the first lines of the question, before the stem",
            )
            ok = False
            continue
        option = _match_option(q, number, text, out)
        if option is False:
            ok = False
            last = None
            continue
        if option is not None:
            q.options.append(option)
            last, state = option, "options"
            continue
        feedback = _FEEDBACK.match(text)
        if feedback:
            ok = _add_feedback(last, number, feedback.group(1), out) and ok
            continue
        if not text.strip():
            last = None
            if state == "stem":
                q.stem.append((number, text))
            continue
        if state == "options":
            ok = _continue_option(q, last, number, text, out) and ok
            continue
        q.stem.append((number, text))
    return ok


def _add_feedback(
    last: OptionDraft | None, number: int, text: str, out: Problems
) -> bool:
    """A ``>`` feedback line for the option above; Q7 when there is none."""
    if last is None:
        out.error(
            number,
            "Q7",
            "a > feedback line must sit directly under an "
            "option (or its previous feedback line), with no blank line",
        )
        return False
    last.feedback.append((number, text))
    return True


def _continue_option(
    q: QuestionDraft, last: OptionDraft | None, number: int, text: str, out: Problems
) -> bool:
    """An indented line continues the option above; other text is Q12."""
    if last is not None and not last.feedback and text.startswith("  "):
        last.text.append((number, text.strip()))
        return True
    hint = (
        "start an option with - [x] or - [ ]"
        if q.type != "order"
        else "start each step with - "
    )
    out.error(
        number,
        "Q12",
        f"unexpected text after the options; {hint}, or "
        "begin the explanation with Explanation:",
    )
    return False


def _match_option(
    q: QuestionDraft, number: int, text: str, out: Problems
) -> OptionDraft | None | bool:
    """An option, None when the line is no option, False after reporting one."""
    marked = _OPTION.match(text)
    if q.type == "order":
        if marked or _NEAR_MISS.match(text):
            out.error(
                number,
                "Q10",
                "an order question's steps take no [x] or [ ] "
                "marker; write them as '- step' in the correct order",
            )
            return False
        plain = _ORDER_OPTION.match(text)
        if plain:
            return OptionDraft(
                line=number, correct=True, text=[(number, plain.group(1))]
            )
        return None
    if marked:
        return OptionDraft(
            line=number,
            correct=marked.group(1) == "x",
            text=[(number, marked.group(2))],
        )
    near = _NEAR_MISS.match(text)
    if near:
        inner = near.group(1).strip().lower()
        mark = "[ ]" if not inner else "[x]"
        out.error(
            number,
            "Q8",
            f'malformed option marker in "{text.strip()[:40]}"; '
            f"write options as - {mark} text (a hyphen, a space, [x] for "
            "correct or [ ] for incorrect, a space, then the text)",
        )
        return False
    return None


def check_question(q: QuestionDraft, out: Problems) -> None:
    """Rules that need the whole question: stem, counts, correct marks."""
    if not any(text.strip() for _, text in q.stem):
        out.error(
            q.line,
            "Q6",
            f'question "{q.id}" has no stem; write the question '
            "text before the options",
        )
    for option in q.options:
        if not option.text[0][1].strip():
            out.error(option.line, "Q13", "option has no text")
    count = len(q.options)
    correct = [o.line for o in q.options if o.correct]
    at = q.options[0].line if q.options else q.line
    if q.type == "order":
        if count < 3:
            out.error(
                at,
                "Q5",
                f'order question "{q.id}" needs at least 3 steps, found {count}',
            )
        return
    if q.type == "true-false":
        texts = sorted(o.text[0][1].strip() for o in q.options)
        if texts != ["False", "True"]:
            out.error(
                at,
                "Q11",
                f'true-false question "{q.id}" needs exactly two '
                "options, - [ ] True and - [ ] False, with one marked [x]",
            )
            return
    elif count < 2:
        out.error(
            at,
            "Q5",
            f'question "{q.id}" needs at least 2 options, found '
            f"{count}; write each as - [x] text or - [ ] text",
        )
        return
    _check_marks(q, correct, count, out)


def _check_marks(
    q: QuestionDraft, correct: list[int], count: int, out: Problems
) -> None:
    """Q3, Q4: how many options are marked [x] for the question's type."""
    lines = ", ".join(str(n) for n in correct)
    if q.type in ("single", "true-false") and len(correct) != 1:
        found = (
            f"{len(correct)} correct options (lines {lines})"
            if correct
            else "no correct option"
        )
        out.error(
            q.line,
            "Q3",
            f'question "{q.id}" is type "{q.type}" but marks '
            f"{found}; mark exactly one option [x]"
            + ('; use ":type: multiple" for several' if correct else ""),
        )
    if q.type == "multiple" and (not correct or len(correct) == count):
        out.error(
            q.line,
            "Q4",
            f'multiple-answer question "{q.id}" needs at least '
            "one [x] option and at least one [ ] option",
        )
