"""Parse vignette node blocks and check the branching graph."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from kaptrain.content.blocks import Block, Line
from kaptrain.content.problems import Problems, did_you_mean
from kaptrain.content.schema import SLUG

RATINGS = ("best", "ok", "avoid")
_RATING_GUESS = {
    "good": "best",
    "great": "best",
    "okay": "ok",
    "fine": "ok",
    "neutral": "ok",
    "bad": "avoid",
    "poor": "avoid",
    "worst": "avoid",
}

_PROMPT = re.compile(r"^\?\s+(\S.*)$")
_CHOICE = re.compile(r"^- \[([^\]]*)\] (.*?)\s*->\s*(\S+)\s*$")
_CONTINUE = re.compile(r"^->\s*(\S+)\s*$")
_FEEDBACK = re.compile(r"^\s*>\s?(.*)$")
_CHOICE_LIKE = re.compile(r"^\s*[-*+]\s*\[|^\s*[-*+]\s.*(->|→)|^\s*(→|=>|-->)")


@dataclass
class ChoiceDraft:
    """A rated choice leading to another node."""

    line: int
    rating: str
    text: str
    target: str
    feedback: list[Line] = field(default_factory=list)


@dataclass
class NodeDraft:
    """A scene, reflection or ending as written."""

    id: str
    kind: str
    line: int
    body: list[Line] = field(default_factory=list)
    prompt: list[Line] = field(default_factory=list)
    choices: list[ChoiceDraft] = field(default_factory=list)
    continues: list[tuple[str, int]] = field(default_factory=list)
    #: Set when a structural error was reported, so graph rules stay quiet.
    faulty: bool = False

    def exits(self) -> list[tuple[str, int]]:
        """Every (target, line) leaving this node."""
        return [(c.target, c.line) for c in self.choices] + self.continues


def parse_node(block: Block, out: Problems) -> NodeDraft | None:
    """Parse one node block; returns None when its id is unusable."""
    if not _usable_id(block, out):
        return None
    node = NodeDraft(id=block.arg, kind=block.name, line=block.line)
    last: ChoiceDraft | None = None
    after_body = malformed = False
    before = len(out.sink)
    for number, text in block.lines:
        prompt = _PROMPT.match(text)
        choice = _CHOICE.match(text)
        step = _CONTINUE.match(text)
        if prompt:
            if node.prompt:
                out.error(number, "V9", "a node has one ? prompt; merge the two")
            node.prompt.append((number, prompt.group(1)))
            after_body, last = True, None
        elif choice:
            last = _choice(number, choice, out)
            node.choices.append(last)
            after_body = True
        elif step:
            node.continues.append((step.group(1), number))
            after_body, last = True, None
        elif after_body and _FEEDBACK.match(text):
            if last is None:
                out.error(
                    number,
                    "V9",
                    "a > feedback line must sit directly under a "
                    "choice, with no blank line",
                )
            else:
                last.feedback.append((number, _FEEDBACK.match(text).group(1)))  # type: ignore[union-attr]
        elif _CHOICE_LIKE.match(text):
            out.error(
                number,
                "V10",
                f'malformed choice "{text.strip()[:50]}"; write '
                "- [best|ok|avoid] choice text -> node-id, or -> node-id alone "
                "for a Continue button",
            )
            last, malformed = None, True
        elif not text.strip():
            last = None
            if not after_body:
                node.body.append((number, text))
        elif after_body:
            out.error(
                number,
                "V9",
                "text after the prompt, choices or -> line; put prose before them",
            )
            last = None
        else:
            node.body.append((number, text))
    if not malformed:
        _check_shape(node, out)
    node.faulty = len(out.sink) > before
    return node


def _usable_id(block: Block, out: Problems) -> bool:
    if SLUG.match(block.arg):
        return True
    out.error(
        block.line,
        "B6",
        f'a {block.name} needs an id: "::: {block.name} '
        'my-id" (lowercase letters, digits, hyphens)',
    )
    return False


def _choice(number: int, match: re.Match[str], out: Problems) -> ChoiceDraft:
    """A ``- [rating] text -> target`` line; an unknown rating is reported."""
    rating, label, target = match.groups()
    if rating not in RATINGS:
        guess = _RATING_GUESS.get(rating.lower())
        hint = f' Did you mean "{guess}"?' if guess else ""
        out.error(
            number,
            "V8",
            f'unknown rating "[{rating}]"; use [best], '
            f"[ok] or [avoid].{hint or did_you_mean(rating, RATINGS)}",
        )
    return ChoiceDraft(number, rating, label, target)


def _check_shape(node: NodeDraft, out: Problems) -> None:
    """V5, V6, V9: what a scene, reflection or ending may hold."""
    exits = node.exits()
    if node.kind == "ending":
        if exits or node.prompt:
            line = exits[0][1] if exits else node.prompt[0][0]
            out.error(
                line,
                "V6",
                f'ending "{node.id}" has an exit; an ending closes '
                "the case, so remove the choices and -> lines (or make it a "
                "scene)",
            )
        return
    if node.kind == "reflection" and (node.prompt or node.choices):
        line = node.prompt[0][0] if node.prompt else node.choices[0].line
        out.error(
            line,
            "V9",
            f'reflection "{node.id}" takes no ? prompt or choices; '
            "its text is the question and one -> line leads on",
        )
        return
    _check_decision(node, out)
    _check_way_on(node, exits, out)


def _check_decision(node: NodeDraft, out: Problems) -> None:
    """A ? prompt and its choices come together, two choices at least."""
    if node.prompt and not node.choices:
        out.error(
            node.prompt[0][0],
            "V9",
            "a ? prompt needs at least two choices "
            "below it: - [best|ok|avoid] text -> node-id",
        )
    elif node.choices and not node.prompt:
        out.error(
            node.choices[0].line,
            "V9",
            "choices need a ? prompt line above them, such as: ? What do you say next?",
        )
    elif len(node.choices) == 1:
        out.error(
            node.choices[0].line,
            "V9",
            "a decision needs at least two choices; "
            "for a single way on, write -> node-id alone",
        )


def _check_way_on(node: NodeDraft, exits: list[tuple[str, int]], out: Problems) -> None:
    """Choices or one -> line, never both, and never neither."""
    if node.choices and node.continues:
        out.error(
            node.continues[0][1],
            "V9",
            "a node has either choices or one -> line, not both",
        )
    elif len(node.continues) > 1:
        out.error(
            node.continues[1][1],
            "V9",
            "only one -> line is allowed; use a ? prompt with choices to branch",
        )
    elif not exits and not node.prompt:
        out.error(
            node.line,
            "V5",
            f'{node.kind} "{node.id}" is a dead end; add -> '
            "node-id, choices, or make it an ::: ending",
        )


def check_graph(
    nodes: list[NodeDraft], start: str | None, start_line: int, out: Problems
) -> None:
    """Targets first; the graph rules only run when every target resolves."""
    by_id, broken = _resolve_targets(nodes, out)
    if start is None:
        return
    if start not in by_id:
        out.error(
            start_line,
            "V3",
            f'start "{start}" names no node.{did_you_mean(start, by_id)}',
        )
        return
    if broken or not nodes or any(n.faulty for n in nodes):
        return
    reachable = _walk(start, {n.id: [t for t, _ in n.exits()] for n in nodes})
    for node in nodes:
        if node.id not in reachable:
            out.error(
                node.line,
                "V4",
                f'node "{node.id}" cannot be reached from '
                f'start "{start}"; link to it or delete it',
            )
    _check_endings(nodes, by_id[start], reachable, out)


def _resolve_targets(
    nodes: list[NodeDraft], out: Problems
) -> tuple[dict[str, NodeDraft], bool]:
    """V1, V2: nodes by id, and whether an id repeats or a target is missing."""
    by_id: dict[str, NodeDraft] = {}
    broken = False
    for node in nodes:
        if node.id in by_id:
            out.error(
                node.line,
                "V1",
                f'node id "{node.id}" is already used on line {by_id[node.id].line}',
            )
            broken = True
        else:
            by_id[node.id] = node
    for node in nodes:
        for target, line in node.exits():
            if target not in by_id:
                out.error(
                    line,
                    "V2",
                    f'"-> {target}" points to no node.{did_you_mean(target, by_id)}',
                )
                broken = True
    return by_id, broken


def _check_endings(
    nodes: list[NodeDraft], start: NodeDraft, reachable: set[str], out: Problems
) -> None:
    """V7: there is an ending, and every reachable node can get to one."""
    endings = [n.id for n in nodes if n.kind == "ending"]
    if not endings:
        out.error(
            start.line,
            "V7",
            "the vignette has no ::: ending block; every path must be able to finish",
        )
        return
    backwards: dict[str, list[str]] = {n.id: [] for n in nodes}
    for node in nodes:
        for target, _ in node.exits():
            backwards[target].append(node.id)
    finishing = set()
    for ending in endings:
        finishing |= _walk(ending, backwards)
    stuck = [n for n in nodes if n.id in reachable and n.id not in finishing]
    if stuck:
        names = ", ".join(f'"{n.id}" (line {n.line})' for n in stuck)
        out.error(
            stuck[0].line,
            "V7",
            f"no ending can be reached from {names}; give "
            "the loop a way out to an ending",
        )


def _walk(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for target in edges.get(queue.popleft(), ()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen
