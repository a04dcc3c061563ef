"""Steps the journeys share: answering a quiz from the catalog's answer key,
planning and walking a branching case, reading lessons (not a test file)."""

from __future__ import annotations

from collections import deque
from typing import Any

from kaptrain.content import Module, Quiz, Vignette

from .support import text_of

RATING_RANK = {"best": 0, "ok": 1, "avoid": 2}

# Label text -> the id of the control it labels, inside one question's fieldset.
_LABELS_JS = """(id) => {
  const box = document.getElementById('q-' + id);
  const out = {};
  for (const label of box.querySelectorAll('label[for]')) {
    out[label.textContent.replace(/\\s+/g, ' ').trim()] = label.htmlFor;
  }
  return out;
}"""
# Option text -> value, for the step-order selects (all selects list the same steps).
_STEPS_JS = """(id) => {
  const select = document.getElementById('q-' + id + '-1');
  const out = {};
  for (const option of select.options) {
    const text = option.textContent.replace(/\\s+/g, ' ').trim();
    if (option.value) out[text] = option.value;
  }
  return out;
}"""


def chosen_options(question: Any, *, correct: bool) -> list[Any]:
    """The options to pick: the key's answer, or a wrong one."""
    if question.type == "order":
        steps = list(question.options)
        return steps if correct else steps[::-1]
    right = [o for o in question.options if o.correct]
    wrong = [o for o in question.options if not o.correct]
    if correct:
        return right
    return wrong if question.type == "multiple" else wrong[:1]


def answer_quiz(page: Any, quiz: Quiz, *, correct: bool) -> None:
    """Answer every question on the attempt page by the options' text (the page
    shows options in the attempt's own order; the form values are positions)."""
    page.locator(f'[id="q-{quiz.questions[-1].id}"]').wait_for()
    for question in quiz.questions:
        picks = chosen_options(question, correct=correct)
        if question.type == "order":
            values = page.evaluate(_STEPS_JS, question.id)
            for position, option in enumerate(picks, start=1):
                page.locator(f'[id="q-{question.id}-{position}"]').select_option(
                    values[text_of(option.text_html)]
                )
            continue
        labels = page.evaluate(_LABELS_JS, question.id)
        for option in picks:
            page.locator(f'[id="{labels[text_of(option.text_html)]}"]').check()


def plan_case(vignette: Vignette) -> list[tuple[str, str | None]]:
    """A shortest walk (node id, choice key) from the start to an ending that
    passes a reflection when the case has one, preferring the best choices."""
    wants_reflection = any(n.kind == "reflection" for n in vignette.nodes.values())
    queue: deque[tuple[str, bool, list[tuple[str, str | None]]]] = deque(
        [(vignette.start, False, [])]
    )
    seen: set[tuple[str, bool]] = set()
    while queue:
        node_id, reflected, path = queue.popleft()
        node = vignette.nodes[node_id]
        reflected = reflected or node.kind == "reflection"
        if node.kind == "ending":
            if reflected or not wants_reflection:
                return [*path, (node_id, None)]
            continue
        if (node_id, reflected) in seen:
            continue
        seen.add((node_id, reflected))
        if node.choices:
            for choice in sorted(node.choices, key=lambda c: RATING_RANK[c.rating]):
                queue.append((choice.target, reflected, [*path, (node_id, choice.key)]))
        elif node.next:
            queue.append((node.next, reflected, [*path, (node_id, None)]))
    raise AssertionError(f"no way through {vignette.id}")


def first_lesson(module: Module) -> Any:
    return next(i for i in module.items if i.kind == "lesson")


def items_of(module: Module, kind: str) -> list[Any]:
    return [i for i in module.items if i.kind == kind]
