"""Parse one content file (any kind) into a draft, reporting its problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaptrain.content.blocks import (
    Block,
    Line,
    Scan,
    Split,
    nonblank,
    scan_prose,
    split_blocks,
)
from kaptrain.content.problems import Problems
from kaptrain.content.quizzes import QuestionDraft, check_question, parse_question
from kaptrain.content.reader import MetaValue, SourceFile, read_source
from kaptrain.content.schema import SLUG, convert, detect_kind, meta_line
from kaptrain.content.vignettes import NodeDraft, check_graph, parse_node

CALLOUTS = ("note", "tip", "caution", "reveal", "content-note")
BLOCKS: dict[str, tuple[str, ...]] = {
    "module": CALLOUTS,
    "lesson": CALLOUTS,
    "quiz": ("question",),
    "vignette": ("scene", "reflection", "ending"),
    "evaluation": ("rating", "comment"),
}


@dataclass
class ItemDraft:
    """A checked file, ready to render when its module has no errors."""

    kind: str
    file: str
    path: Path
    display: str
    meta: dict[str, Any]
    raw_meta: dict[str, MetaValue]
    scan: Scan = field(default_factory=Scan)
    split: Split | None = None
    questions: list[QuestionDraft] = field(default_factory=list)
    nodes: list[NodeDraft] = field(default_factory=list)

    @property
    def id(self) -> str | None:
        """The front-matter id when it converted."""
        return self.meta.get("id")

    def line(self, key: str) -> int:
        """The line of a front-matter key (1 when absent)."""
        return meta_line(self.raw_meta, key)


def read_item(path: Path, display: str, out: Problems) -> ItemDraft | None:
    """Read, split and check one file; ``None`` when even its kind is unknown."""
    source = read_source(path, display, out)
    if source is None:
        return None
    kind = detect_kind(source.meta, path.name == "module.md", out)
    if kind is None:
        return None
    meta = convert(kind, source.meta, out)
    draft = ItemDraft(
        kind=kind,
        file=path.name,
        path=path,
        display=display,
        meta=meta,
        raw_meta=source.meta,
    )
    draft.split = split_blocks(source.body, BLOCKS[kind], out)
    if kind in ("module", "lesson"):
        _lesson(draft, out)
    else:
        _outside_blocks(draft.split, kind, out)
        {"quiz": _quiz, "vignette": _vignette, "evaluation": _evaluation}[kind](
            draft, source, out
        )
    return draft


def _outside_blocks(split: Split, kind: str, out: Problems) -> None:
    stray = nonblank(split.prose)
    if stray:
        names = " or ".join(f"::: {name}" for name in BLOCKS[kind])
        out.error(
            stray[0][0],
            "B7",
            f"text outside blocks; in a {kind} every line "
            f"belongs inside a {names} block (ending with :::)",
        )


def _lesson(draft: ItemDraft, out: Problems) -> None:
    assert draft.split is not None  # noqa: S101 - set by the caller
    scan_prose(draft.split.prose, out, draft.scan)
    for block in draft.split.blocks:
        if block.name == "reveal" and not block.arg:
            out.error(
                block.line, "B6", "a reveal needs a title: ::: reveal Model answer"
            )
        if not nonblank(block.lines) and not block.interrupted:
            out.error(block.line, "B8", f'the "{block.name}" block is empty')
        scan_prose(block.lines, out, draft.scan)


def _quiz(draft: ItemDraft, source: SourceFile, out: Problems) -> None:
    assert draft.split is not None  # noqa: S101
    seen: dict[str, int] = {}
    for block in draft.split.blocks:
        question = parse_question(block, out)
        if question is None:
            continue
        if question.id in seen:
            out.error(
                block.line,
                "Q1",
                f'question id "{question.id}" is already used '
                f"on line {seen[question.id]}",
            )
        seen.setdefault(question.id, block.line)
        check_question(question, out)
        draft.questions.append(question)
        fragments = [question.stem, question.explanation]
        for option in question.options:
            fragments += [option.text, option.feedback]
        for fragment in fragments:
            scan_prose(fragment, out, draft.scan)
    if not draft.split.blocks:
        out.error(1, "Q5", "the quiz has no questions; add ::: question blocks")
    percent = draft.meta.get("pass_percent")
    if percent is not None and not 75 <= percent <= 100:
        out.error(
            draft.line("pass_percent"),
            "Q9",
            f"pass_percent {percent} is out of range; CE post-tests pass at 75 to 100",
        )
        draft.meta.pop("pass_percent")


def _vignette(draft: ItemDraft, source: SourceFile, out: Problems) -> None:
    assert draft.split is not None  # noqa: S101
    for block in draft.split.blocks:
        node = parse_node(block, out)
        if node is None:
            continue
        draft.nodes.append(node)
        scan_prose(node.body, out, draft.scan)
        scan_prose(node.prompt, out, draft.scan)
        for choice in node.choices:
            scan_prose([(choice.line, choice.text)] + choice.feedback, out, draft.scan)
        if node.kind != "scene" and not nonblank(node.body):
            out.error(block.line, "B8", f'{node.kind} "{node.id}" has no text')
    start = draft.meta.get("start")
    start_line = draft.line("start")
    if "start" in source.meta and start is None:
        return  # the start value itself is malformed and already reported
    check_graph(draft.nodes, start, start_line, out)


def _evaluation(draft: ItemDraft, source: SourceFile, out: Problems) -> None:
    assert draft.split is not None  # noqa: S101
    seen: dict[str, int] = {}
    for block in draft.split.blocks:
        if not SLUG.match(block.arg):
            out.error(
                block.line,
                "B6",
                f'a {block.name} needs an id: "::: {block.name} '
                'objectives-met" (lowercase letters, digits, hyphens)',
            )
            continue
        if block.arg in seen:
            out.error(
                block.line,
                "E1",
                f'id "{block.arg}" is already used on line {seen[block.arg]}',
            )
        seen.setdefault(block.arg, block.line)
        if not nonblank(block.lines):
            out.error(block.line, "B8", f'{block.name} "{block.arg}" has no text')
        scan_prose(block.lines, out, draft.scan)
    if not any(b.name == "rating" for b in draft.split.blocks):
        out.error(
            1,
            "E2",
            "the evaluation has no ::: rating block; CE providers "
            'require rated statements such as "The objectives were met"',
        )


def blocks_of(draft: ItemDraft, name: str) -> list[Block]:
    """Blocks with this name, in order."""
    return [b for b in (draft.split.blocks if draft.split else []) if b.name == name]


def lines_text(lines: list[Line]) -> str:
    """Join numbered lines into Markdown source."""
    return "\n".join(text for _, text in lines).strip("\n")
