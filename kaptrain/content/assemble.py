"""Render a checked module draft into the immutable model (valid modules only)."""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from kaptrain.content.blocks import Block, Line, join
from kaptrain.content.items import ItemDraft
from kaptrain.content.model import (
    Choice,
    Evaluation,
    Item,
    Lesson,
    Module,
    Node,
    Option,
    Question,
    Quiz,
    Reference,
    Vignette,
)
from kaptrain.content.modules import ModuleDraft
from kaptrain.content.quizzes import QuestionDraft
from kaptrain.content.references import format_reference
from kaptrain.content.render import Context, Renderer, callout_source, default_label


def _cited(item: ItemDraft) -> tuple[str, ...]:
    return tuple(dict.fromkeys(key for key, _ in item.scan.citations))


def render_document(renderer: Renderer, item: ItemDraft) -> tuple[str, str]:
    """A lesson or overview with its callouts; returns ``(html, toc_html)``."""
    parts: list[str] = []
    assert item.split is not None  # noqa: S101 - every read item is split
    for entry in item.split.sequence:
        if isinstance(entry, Block):
            parts.append(callout_source(entry.name, entry.arg, join(entry.lines)))
        else:
            parts.append(entry[1])
    return renderer.document("\n".join(parts))


def _frag(renderer: Renderer, lines: list[Line]) -> str:
    return renderer.fragment(join(lines))


def _question(renderer: Renderer, q: QuestionDraft, cited: list[str]) -> Question:
    options = tuple(
        Option(
            key=chr(ord("a") + n),
            text_html=renderer.inline(join(o.text)),
            correct=o.correct,
            feedback_html=_frag(renderer, o.feedback),
        )
        for n, o in enumerate(q.options)
    )
    return Question(
        id=q.id,
        type=q.type,  # type: ignore[arg-type]
        stem_html=_frag(renderer, q.stem),
        options=options,
        explanation_html=_frag(renderer, q.explanation),
        cited_keys=tuple(cited),
        objectives=q.objectives,
        level=q.level or "recall",  # type: ignore[arg-type]
    )


def render_item(renderer: Renderer, item: ItemDraft) -> Item:
    """Render one checked item; raises ``KeyError`` when required meta is missing."""
    render = _RENDER_KIND.get(item.kind, _render_evaluation)
    return render(renderer, item)


def _common(item: ItemDraft) -> dict[str, Any]:
    """The fields every kind of item has."""
    meta = item.meta
    return {"id": meta["id"], "title": meta["title"], "source_path": item.path}


def _render_lesson(renderer: Renderer, item: ItemDraft) -> Item:
    meta = item.meta
    html, toc = render_document(renderer, item)
    return Lesson(
        **_common(item),
        estimated_minutes=meta["estimated_minutes"],
        objectives=meta.get("objectives", ()),
        content_note=meta.get("content_note"),
        optional=meta.get("optional", False),
        html=html,
        toc_html=toc,
        cited_keys=_cited(item),
    )


def _render_quiz(renderer: Renderer, item: ItemDraft) -> Item:
    meta = item.meta
    questions = []
    for q in item.questions:
        lines = range(q.line, _end_line(q) + 1)
        cited = [k for k, line in item.scan.citations if line in lines]
        questions.append(_question(renderer, q, list(dict.fromkeys(cited))))
    return Quiz(
        **_common(item),
        pass_percent=meta.get("pass_percent", 80),
        pretest=meta.get("pretest", False),
        shuffle_options=meta.get("shuffle_options", False),
        max_attempts=meta.get("max_attempts"),
        retry_wait_minutes=meta.get("retry_wait_minutes"),
        estimated_minutes=meta.get("estimated_minutes", 0),
        questions=tuple(questions),
    )


def _render_vignette(renderer: Renderer, item: ItemDraft) -> Item:
    meta = item.meta
    nodes = {}
    for node in item.nodes:
        choices = tuple(
            Choice(
                key=str(n + 1),
                text_html=renderer.inline(c.text),
                rating=c.rating,
                target=c.target,  # type: ignore[arg-type]
                feedback_html=_frag(renderer, c.feedback),
            )
            for n, c in enumerate(node.choices)
        )
        nodes[node.id] = Node(
            id=node.id,
            kind=node.kind,  # type: ignore[arg-type]
            body_html=_frag(renderer, node.body),
            prompt_html=renderer.inline(join(node.prompt)),
            choices=choices,
            next=node.continues[0][0] if node.continues else None,
        )
    return Vignette(
        **_common(item),
        start=meta["start"],
        based_on=meta["based_on"],
        estimated_minutes=meta["estimated_minutes"],
        content_note=meta.get("content_note"),
        optional=meta.get("optional", False),
        nodes=MappingProxyType(nodes),
        cited_keys=_cited(item),
    )


def _render_evaluation(renderer: Renderer, item: ItemDraft) -> Item:
    assert item.split is not None  # noqa: S101
    blocks = item.split.blocks
    return Evaluation(
        **_common(item),
        estimated_minutes=item.meta.get("estimated_minutes", 0),
        ratings=tuple(
            (b.arg, renderer.inline(join(b.lines)))
            for b in blocks
            if b.name == "rating"
        ),
        comments=tuple(
            (b.arg, renderer.inline(join(b.lines)))
            for b in blocks
            if b.name == "comment"
        ),
    )


# Any other checked kind is an evaluation (the checker admits no fifth kind).
_RENDER_KIND: dict[str, Callable[[Renderer, ItemDraft], Item]] = {
    "lesson": _render_lesson,
    "quiz": _render_quiz,
    "vignette": _render_vignette,
}


def _end_line(q: QuestionDraft) -> int:
    lines = [q.line] + [n for n, _ in q.stem + q.explanation]
    for option in q.options:
        lines += [n for n, _ in option.text + option.feedback]
    return max(lines)


def module_context(draft: ModuleDraft, module_id: str) -> Context:
    """Citation labels and file -> item id links for rendering one module."""
    labels = {k: r.label or default_label(k) for k, r in draft.references.items()}
    files: dict[str, str | None] = {i.file: i.id for i in draft.items.values()}
    files["module.md"] = None
    return Context(module_id=module_id, labels=labels, files=files)


def render_references(renderer: Renderer, draft: ModuleDraft) -> tuple[Reference, ...]:
    """The module's references, sorted as a reference list is."""
    labels = renderer.context.labels
    formatted = {key: format_reference(r) for key, r in draft.references.items()}
    return tuple(
        sorted(
            (
                Reference(
                    key=r.key,
                    text=formatted[r.key],
                    doi=r.doi,
                    url=r.url,
                    label=labels.get(r.key) or default_label(r.key),
                    text_html=renderer.inline(formatted[r.key]),
                    type=r.type,
                    title=r.title,
                )
                for r in draft.references.values()
            ),
            key=lambda r: (r.text.casefold(), r.key),
        )
    )


def assemble(draft: ModuleDraft, renderer: Renderer) -> Module:
    """Render every fragment of a module that passed its checks."""
    assert draft.module is not None  # noqa: S101 - only called without errors
    meta = draft.module.meta
    items = draft.path_items()
    renderer.context = module_context(draft, meta["id"])
    overview, _ = render_document(renderer, draft.module)
    references = render_references(renderer, draft)
    return Module(
        id=meta["id"],
        title=meta["title"],
        summary=meta["summary"],
        version=meta["version"],
        order=meta["order"],
        ce_hours=meta["ce_hours"],
        objectives=meta["objectives"],
        prerequisites=meta.get("prerequisites", ()),
        audience=meta.get("audience"),
        level=meta.get("level"),
        content_note=meta.get("content_note"),
        overview_html=overview,
        items=tuple(render_item(renderer, i) for i in items),
        references=references,
        content_hash=draft.content_hash,
        path=draft.path,
        media=frozenset(n for n in draft.files if n.startswith("media/")),
        figures=draft.figures,
        planners=meta.get("planners", ()),
    )
