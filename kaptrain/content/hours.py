"""Honest CE hours: how long a module takes, estimated from what it contains.

Reading time comes from word counts at the average adult silent reading rate
for English non-fiction; activities (vignette decisions, reflections, the
post-test, the pre-test, the evaluation) add fixed minutes each. Every constant
is explained in docs/authoring.md ("Honest CE hours").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

from kaptrain.content.blocks import Line
from kaptrain.content.items import ItemDraft

#: Brysbaert (2019), J. Mem. Lang. 109, 104047, doi:10.1016/j.jml.2019.104047:
#: 190 studies, adult silent reading of English non-fiction averages 238 wpm.
WORDS_PER_MINUTE = 238
#: Reading a scene's options, weighing them and choosing.
DECISION_MINUTES = 1
#: Writing a short reflection in the journal.
REFLECTION_MINUTES = 1
#: Reading an item (often a short scenario) and answering it.
QUIZ_ITEM_MINUTES = 1.5
#: Rating the statements and writing a comment.
EVALUATION_MINUTES = 5
#: Claimed hours may exceed the estimate by this share before M15 warns.
TOLERANCE = Decimal("0.10")

_CITATION = re.compile(r"\[@[^\]]*\]")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_ARROW_TARGET = re.compile(r"->\s*\S+\s*$", re.MULTILINE)
# Letters and digits, with inner apostrophes and hyphens ("client's" and
# "race-based" are one word each, as a word processor counts them). One
# findall over a whole document: per-line matching doubled the check's time on
# the 100-module benchmark tree.
_TOKEN = re.compile(r"\w[\w'’-]*")


def count_words(lines: list[Line]) -> int:
    """Words a reader reads in Markdown lines (no link targets, citations, markers)."""
    text = "\n".join(t for _, t in lines)
    if "[@" in text:
        text = _CITATION.sub("", text)
    if "](" in text:
        text = _LINK_TARGET.sub("]", text)
    if "->" in text:
        text = _ARROW_TARGET.sub("", text)
    return len(_TOKEN.findall(text))


def _document_words(item: ItemDraft) -> int:
    split = item.split
    if split is None:
        return 0
    return count_words(split.prose + [line for b in split.blocks for line in b.lines])


def _vignette_words(item: ItemDraft) -> int:
    lines: list[Line] = []
    for node in item.nodes:
        lines += node.body + node.prompt
        for choice in node.choices:
            lines += [(choice.line, choice.text), *choice.feedback]
    return count_words(lines)


@dataclass(frozen=True)
class HoursEstimate:
    """Minutes a module takes, by part; ``minutes`` is the rounded-up total."""

    words: int
    reading_minutes: float
    decisions: int
    reflections: int
    quiz_items: int
    pretest: bool
    evaluation: bool
    minutes: int
    claimed_minutes: int | None

    @property
    def activity_minutes(self) -> float:
        """Everything but reading."""
        return (
            self.decisions * DECISION_MINUTES
            + self.reflections * REFLECTION_MINUTES
            + self.quiz_items * QUIZ_ITEM_MINUTES * (2 if self.pretest else 1)
            + (EVALUATION_MINUTES if self.evaluation else 0)
        )

    @property
    def overclaimed(self) -> bool:
        """True when ce_hours x 60 exceeds the estimate by more than 10%."""
        if self.claimed_minutes is None:
            return False
        return Decimal(self.claimed_minutes) > Decimal(self.minutes) * (1 + TOLERANCE)

    def explain(self) -> str:
        """One sentence giving the parts, for messages and the health page."""
        parts = [
            f"{_plural(self.words, 'word')} at {WORDS_PER_MINUTE} per minute "
            f"({self.reading_minutes:.0f} min)"
        ]
        if self.decisions:
            parts.append(_plural(self.decisions, "vignette decision"))
        if self.reflections:
            parts.append(_plural(self.reflections, "reflection"))
        if self.quiz_items:
            test = "pre- and post-test" if self.pretest else "post-test"
            parts.append(f"{_plural(self.quiz_items, test + ' item')}")
        if self.evaluation:
            parts.append("the evaluation")
        return ", ".join(parts)


def estimate(
    module: ItemDraft, items: list[ItemDraft], ce_hours: Decimal | None
) -> HoursEstimate:
    """The estimate for a module: its overview and its items in path order."""
    words = _document_words(module)
    decisions = reflections = quiz_items = 0
    pretest = evaluation = False
    for item in items:
        if item.kind == "lesson":
            words += _document_words(item)
        elif item.kind == "vignette":
            words += _vignette_words(item)
            decisions += sum(1 for n in item.nodes if n.choices)
            reflections += sum(1 for n in item.nodes if n.kind == "reflection")
        elif item.kind == "quiz":
            quiz_items += len(item.questions)
            pretest = pretest or bool(item.meta.get("pretest"))
        elif item.kind == "evaluation":
            evaluation = True
    reading = words / WORDS_PER_MINUTE
    partial = HoursEstimate(
        words, reading, decisions, reflections, quiz_items, pretest, evaluation, 0, None
    )
    minutes = math.ceil(reading + partial.activity_minutes)
    claimed = int(ce_hours * 60) if ce_hours else None
    return HoursEstimate(
        words,
        reading,
        decisions,
        reflections,
        quiz_items,
        pretest,
        evaluation,
        minutes,
        claimed,
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
