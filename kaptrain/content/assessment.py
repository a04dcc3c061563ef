"""Post-test rules: objectives assessed, application items, item-writing cues.

The cues are the classic flaws of multiple-choice items that let a test-wise
reader find the answer without the knowledge (Haladyna, Downing & Rodriguez's
item-writing guidelines): the keyed option is the longest, it alone repeats a
word of the stem, "all/none of the above", and negative stems a reader can
overlook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kaptrain.content.blocks import Line
from kaptrain.content.items import ItemDraft
from kaptrain.content.problems import Problems
from kaptrain.content.quizzes import QuestionDraft

#: Share of single-choice items whose keyed option may be the longest before
#: W-LONGEST warns. With three or four options chance alone gives 25-33%.
LONGEST_LIMIT = 0.35
#: Share of post-test items that must be application items (``:level: apply``).
APPLY_MIN = 0.5

_CITATION = re.compile(r"\[@[^\]]*\]")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_ALL_NONE = re.compile(r"\b(all|none) of the above\b", re.IGNORECASE)
_NEGATIVE = re.compile(r"\b(not|except|least|never|false)\b", re.IGNORECASE)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)([^*_]+?)\1")
_SENTENCE_END = re.compile(r"(?<=[.?!:])\s+")

#: Words of five or more letters too common to cue an answer.
STOP_WORDS = frozenset(
    """
    about above after again against along already also although always among
    another anyone anything around because become before being below between
    both could does doing during each either every first following from further
    have having here however into itself least might more most much must never
    other others otherwise ought over perhaps rather same several should since
    some something still such than that their theirs them themselves then there
    these they thing things this those though three through throughout under
    until upon very what whatever when where whether which while whom whose
    will with within without would your yours yourself which
    """.split()
)


def _plain(lines: list[Line]) -> str:
    """Text of Markdown lines without citations or link targets, one space apart."""
    text = " ".join(t for _, t in lines)
    text = _LINK_TARGET.sub("]", _CITATION.sub("", text))
    return " ".join(text.split())


@lru_cache(maxsize=8192)
def fold(word: str) -> str:
    """Case-fold and strip simple plural and suffix endings (``stresses`` ->
    ``stress``, ``injuries`` -> ``injury``, ``screening`` -> ``screen``)."""
    word = word.casefold().replace("’", "'").removesuffix("'s")
    if word.endswith("ies") and len(word) > 5:
        return word[:-3] + "y"
    for suffix in ("ings", "ing", "edly", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    """Folded words of five or more letters that are not stop words."""
    return {
        fold(w)
        for w in _WORD.findall(text)
        if len(w) >= 5 and w.casefold() not in STOP_WORDS
    }


@dataclass(frozen=True)
class QuizFigures:
    """What the post-test rules measured, for content health and ``check``."""

    items: int
    apply_items: int
    single_choice: int
    keyed_longest: tuple[str, ...]
    objectives_total: int
    objectives_covered: tuple[int, ...]


def keyed_is_longest(q: QuestionDraft) -> bool:
    """True when the correct option is strictly longer than every distractor."""
    keyed = [o for o in q.options if o.correct]
    others = [len(_plain(o.text)) for o in q.options if not o.correct]
    if len(keyed) != 1 or not others:
        return False
    return len(_plain(keyed[0].text)) > max(others)


def _lead_in(stem: list[Line]) -> tuple[str, int]:
    """The stem's last sentence (the question itself) and its line."""
    lines = [(n, t) for n, t in stem if t.strip()]
    if not lines:
        return "", 0
    text = " ".join(t.strip() for _, t in lines)
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    last = sentences[-1] if sentences else text
    first_words = last.split()[:2]
    number = next(
        (n for n, t in reversed(lines) if first_words and first_words[0] in t),
        lines[-1][0],
    )
    return last, number


def check_cues(q: QuestionDraft, out: Problems) -> None:
    """W-ALL, W-NEG and W-CUE for one question (W-LONGEST is per quiz)."""
    if q.type != "order":
        for option in q.options:
            match = _ALL_NONE.search(_plain(option.text))
            if match:
                out.warning(
                    option.line,
                    "W-ALL",
                    f'question "{q.id}" offers "{match.group(0)}"; a reader who '
                    "spots two true options (or one false one) answers without "
                    "knowing the rest. Write a specific option instead",
                )
    lead, number = _lead_in(q.stem)
    emphasised = {m.group(2).strip().casefold() for m in _EMPHASIS.finditer(lead)}
    bare = _EMPHASIS.sub(" ", lead)
    for match in _NEGATIVE.finditer(bare):
        word = match.group(1)
        if word.casefold() in emphasised:
            continue
        out.warning(
            number or q.line,
            "W-NEG",
            f'the question "{q.id}" is worded negatively ("{word}") without '
            f"emphasis; readers miss the negation. Ask it positively, or write "
            f"**{word.upper()}** in bold",
        )
        break
    if q.type != "single":
        return
    keyed = [o for o in q.options if o.correct]
    if len(keyed) != 1:
        return
    stem_words = content_words(_plain(q.stem))
    in_key = stem_words & content_words(_plain(keyed[0].text))
    for option in q.options:
        if not option.correct:
            in_key -= content_words(_plain(option.text))
    if in_key:
        word = _first_in(_plain(keyed[0].text), in_key)
        out.warning(
            keyed[0].line,
            "W-CUE",
            f'in question "{q.id}" only the correct option repeats the stem\'s '
            f'word "{word}"; a test-wise reader picks it for that. Use the word '
            "in a distractor too, or in none of the options",
        )


def _first_in(text: str, folded: set[str]) -> str:
    """The first word of ``text`` whose folded form is in ``folded``."""
    return next((w for w in _WORD.findall(text) if fold(w) in folded), "")


def check_quiz(quiz: ItemDraft, objectives: int | None, out: Problems) -> QuizFigures:
    """Every post-test rule for the module's quiz; returns what it measured.

    ``objectives`` is the number of module objectives (None when module.md did
    not give a usable list, so the range and coverage rules stay quiet).
    """
    questions = quiz.questions
    for q in questions:
        check_cues(q, out)
        _check_level_and_objectives(q, objectives, out)
    single = [q for q in questions if q.type == "single"]
    longest = _check_keyed_longest(single, out)
    applied = sum(1 for q in questions if q.level == "apply")
    if questions and applied / len(questions) < APPLY_MIN:
        out.warning(
            1,
            "Q18",
            f"{applied} of {len(questions)} questions "
            f"({_percent(applied, len(questions))}) are application items; at "
            f"least {APPLY_MIN:.0%} should be :level: apply (a short clinical "
            "scenario, then a decision)",
        )
    for key in ("max_attempts", "retry_wait_minutes"):
        if key not in quiz.raw_meta:
            recommended = "3" if key == "max_attempts" else "60"
            out.warning(
                1,
                "Q19",
                f"the post-test sets no {key}; add {key}: {recommended} to the "
                "front matter (docs/authoring.md explains the recommended values)",
            )
    covered = sorted(
        {n for q in questions for n in q.objectives if objectives and n <= objectives}
    )
    return QuizFigures(
        items=len(questions),
        apply_items=applied,
        single_choice=len(single),
        keyed_longest=longest,
        objectives_total=objectives or 0,
        objectives_covered=tuple(covered),
    )


def _check_level_and_objectives(
    q: QuestionDraft, objectives: int | None, out: Problems
) -> None:
    """Q15-Q17: the question's :level: and the objectives it names."""
    if q.level is None:
        out.strict_warning(
            q.line,
            "Q17",
            f'question "{q.id}" has no :level:; write :level: recall, '
            "understand or apply under the ::: question line (absent counts "
            "as recall)",
        )
    if not q.objectives:
        out.warning(
            q.line,
            "Q16",
            f'question "{q.id}" names no objective; write the numbers of the '
            "module objectives it assesses, like :objectives: 2",
        )
    elif objectives is not None:
        for number in q.objectives:
            if number > objectives:
                out.error(
                    q.objectives_line or q.line,
                    "Q15",
                    f'question "{q.id}" names objective {number}, but '
                    f"module.md lists {objectives} objective"
                    f"{'' if objectives == 1 else 's'}; use 1-{objectives}",
                )


def _check_keyed_longest(single: list[QuestionDraft], out: Problems) -> tuple[str, ...]:
    """W-LONGEST: the key is not mostly the longest option; the ids where it is."""
    longest = tuple(q.id for q in single if keyed_is_longest(q))
    if single and len(longest) / len(single) > LONGEST_LIMIT:
        first = next(q for q in single if q.id == longest[0])
        out.warning(
            first.line,
            "W-LONGEST",
            f"the correct option is the longest in {len(longest)} of "
            f"{len(single)} single-choice questions "
            f"({_percent(len(longest), len(single))}; "
            f"at most {LONGEST_LIMIT:.0%}): {', '.join(longest)}. Readers learn "
            "that the longest answer is right; shorten the keys or lengthen "
            "the distractors",
        )
    return longest


def check_coverage(
    figures: QuizFigures,
    quiz: ItemDraft,
    objective_lines: list[tuple[str, int]],
    out: Problems,
) -> None:
    """M16: every module objective is assessed by at least one question.

    Quiet while no question names any objective (a module written before
    ``:objectives:`` existed gets Q16 warnings instead, and keeps being served).
    """
    if not any(q.objectives for q in quiz.questions):
        return
    for number, (text, line) in enumerate(objective_lines, start=1):
        if number not in figures.objectives_covered:
            short = text if len(text) <= 70 else text[:67] + "..."
            out.error(
                line,
                "M16",
                f'objective {number} ("{short}") is assessed by no post-test '
                f"question; write a question with :objectives: {number}, or "
                "remove the objective",
            )


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "0%"
