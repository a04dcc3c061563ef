"""Check one module folder: its files, contents, items, credit and assessment.

The rules on references and citations (C1-C8) are
:mod:`kaptrain.content.citation_rules`; the rules on links and images (L1-L6)
are :mod:`kaptrain.content.link_rules`.
"""

from __future__ import annotations

import hashlib
import math
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from kaptrain.content.assessment import QuizFigures, check_coverage, check_quiz
from kaptrain.content.citation_rules import check_citations, check_references
from kaptrain.content.hours import HoursEstimate, estimate
from kaptrain.content.items import ItemDraft, read_item
from kaptrain.content.link_rules import check_links
from kaptrain.content.model import ModuleFigures
from kaptrain.content.planners import check_planners_listed
from kaptrain.content.problems import Problem, Problems, did_you_mean
from kaptrain.content.references import RefDraft, read_references


@dataclass
class ModuleDraft:
    """Everything read from one module folder."""

    name: str
    path: Path
    display: str
    problems: list[Problem] = field(default_factory=list)
    module: ItemDraft | None = None
    items: dict[str, ItemDraft] = field(default_factory=dict)  # file name -> draft
    contents: list[str] = field(default_factory=list)
    #: False when a contents entry is missing or unreadable; the rules that
    #: count items then stay quiet instead of repeating that one mistake.
    contents_ok: bool = True
    references: dict[str, RefDraft] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)  # posix relpath -> path
    content_hash: str = ""
    #: What the post-test rules measured (None without a readable quiz).
    quiz_figures: QuizFigures | None = None
    #: Honest CE hours (None when the contents could not all be read).
    hours: HoursEstimate | None = None
    figures: ModuleFigures | None = None

    @property
    def id(self) -> str | None:
        """The module id when module.md declared a valid one."""
        return self.module.meta.get("id") if self.module else None

    @property
    def has_errors(self) -> bool:
        """True when any problem of this module is an error."""
        return any(p.is_error for p in self.problems)

    def every_item(self) -> list[ItemDraft]:
        """module.md (when read) and then every item file that was read."""
        return ([self.module] if self.module else []) + list(self.items.values())

    def path_items(self) -> list[ItemDraft]:
        """Items in ``contents`` order (only those that were read)."""
        return [self.items[f] for f in self.contents if f in self.items]


def list_files(folder: Path) -> dict[str, Path]:
    """Every non-hidden file under ``folder``, keyed by POSIX relative path."""
    found: dict[str, Path] = {}
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                path = Path(root, name)
                found[path.relative_to(folder).as_posix()] = path
    return found


def load_module(folder: Path, display: str) -> ModuleDraft:
    """Read and check every file of one module (site-wide rules come later)."""
    draft = ModuleDraft(name=folder.name, path=folder, display=display)
    draft.files = list_files(folder)
    out = Problems(f"{display}/module.md", draft.problems)
    if "module.md" not in draft.files:
        out.error(
            1,
            "M1",
            f'folder "{folder.name}" has no module.md; add one with '
            "kind: module, or move the folder out of the modules directory",
        )
    else:
        draft.module = read_item(draft.files["module.md"], out.path, out)
    for name in draft.files:
        if name.endswith(".md") and "/" not in name and name != "module.md":
            item = read_item(
                draft.files[name],
                f"{display}/{name}",
                out.for_path(f"{display}/{name}"),
            )
            if item is not None:
                draft.items[name] = item
    if "references.yaml" in draft.files:
        refs = read_references(
            draft.files["references.yaml"], out.for_path(f"{display}/references.yaml")
        )
        draft.references = refs or {}
    if draft.module is not None and draft.module.kind == "module":
        _check_contents(draft, out)
        _check_items(draft, out)
        _check_credit(draft, out)
        _check_assessment(draft, out)
        check_planners_listed(draft.module.raw_meta, out)
    check_references(draft, out)
    check_citations(draft, out)
    check_links(draft, out)
    draft.content_hash = files_hash(draft.files)
    draft.figures = module_figures(draft)
    return draft


def module_figures(draft: ModuleDraft) -> ModuleFigures | None:
    """The checker's figures for content health and ``content check``."""
    if draft.module is None or draft.module.kind != "module":
        return None
    quiz = draft.quiz_figures
    hours = draft.hours
    refs = list(draft.references.values())
    return ModuleFigures(
        items=quiz.items if quiz else 0,
        apply_items=quiz.apply_items if quiz else 0,
        single_choice=quiz.single_choice if quiz else 0,
        keyed_longest=len(quiz.keyed_longest) if quiz else 0,
        objectives=len(draft.module.meta.get("objectives", ())),
        objectives_covered=len(quiz.objectives_covered) if quiz else 0,
        references=len(refs),
        references_titled=sum(1 for r in refs if r.title),
        references_linked=sum(1 for r in refs if r.has_link),
        words=hours.words if hours else 0,
        estimated_minutes=hours.minutes if hours else 0,
        claimed_minutes=hours.claimed_minutes if hours else None,
        estimate_basis=hours.explain() if hours else "",
    )


def _check_contents(draft: ModuleDraft, out: Problems) -> None:
    assert draft.module is not None  # noqa: S101
    entries = draft.module.meta.get("contents")
    if entries is None:
        draft.contents_ok = False
        return
    markdown = [n for n in draft.files if n.endswith(".md") and "/" not in n]
    seen: set[str] = set()
    for name, line in entries:
        if name == "module.md":
            out.error(
                line,
                "M8",
                "contents lists the module's files after module.md; "
                "remove module.md from it",
            )
        elif name in seen:
            out.error(line, "M8", f'"{name}" is listed twice in contents')
        elif name not in draft.files:
            out.error(
                line,
                "M6",
                f'contents names "{name}", which does not exist.'
                f"{_similar_file(name, markdown)}",
            )
        elif not name.endswith(".md") or "/" in name:
            out.error(
                line,
                "M8",
                f'"{name}" cannot be in contents; list only .md files beside module.md',
            )
        else:
            draft.contents.append(name)
            seen.add(name)
            continue
        seen.add(name)
        draft.contents_ok = False
    if any(name not in draft.items for name in draft.contents):
        draft.contents_ok = False
    line = draft.module.line("contents")
    for name in markdown:
        if name != "module.md" and name not in seen:
            out.error(
                line,
                "M7",
                f'"{name}" is not listed in contents; add it where '
                "it belongs in the learning path, or delete the file",
            )


def _similar_file(name: str, names: list[str]) -> str:
    """Did-you-mean on file stems, so ".md" alone never makes two names alike."""
    stems = {posixpath.splitext(n)[0]: n for n in names}
    hint = did_you_mean(posixpath.splitext(name)[0], stems, cutoff=0.7)
    return hint and f' Did you mean "{stems[hint.split(chr(34))[1]]}"?'


def _check_items(draft: ModuleDraft, out: Problems) -> None:
    ids: dict[str, ItemDraft] = {}
    for item in draft.path_items():
        if item.id is None:
            continue
        if item.id in ids:
            out.for_path(item.display).error(
                item.line("id"),
                "M9",
                f'id "{item.id}" is already used by '
                f"{ids[item.id].file}; ids are unique within a module",
            )
        else:
            ids[item.id] = item
    contents_line = draft.module.line("contents") if draft.module else 1
    for kind, code in (("quiz", "M10"), ("evaluation", "M11")):
        found = [i for i in draft.path_items() if i.kind == kind]
        if not found and draft.contents_ok and draft.module is not None:
            out.error(
                contents_line,
                code,
                f"the module has no {kind}; add a "
                f"kind: {kind} file and list it in contents",
            )
        for extra in found[1:]:
            out.for_path(extra.display).error(
                1,
                code,
                f"the module already has a {kind} ({found[0].file}); a "
                f"module has exactly one",
            )


def _check_credit(draft: ModuleDraft, out: Problems) -> None:
    assert draft.module is not None  # noqa: S101
    hours = draft.module.meta.get("ce_hours")
    items = draft.path_items()
    if not draft.contents_ok:
        return
    draft.hours = estimate(draft.module, items, hours)
    if hours is None:
        return
    if draft.hours.overclaimed:
        out.warning(
            draft.module.line("ce_hours"),
            "M15",
            f"ce_hours {hours} claims {draft.hours.claimed_minutes} minutes, but "
            f"the content takes about {draft.hours.minutes} "
            f"({draft.hours.explain()}); claim at most 10% more: lower ce_hours "
            "or add content",
        )
    if any(
        i.kind in ("lesson", "vignette") and "estimated_minutes" not in i.meta
        for i in items
    ):
        return
    total = sum(i.meta.get("estimated_minutes", 0) for i in items)
    target = hours * 60
    low, high = math.ceil(target * 9 / 10), math.floor(target * 11 / 10)
    if not low <= total <= high:
        out.warning(
            draft.module.line("ce_hours"),
            "M12",
            f"contents add up to {total} "
            f"minutes but ce_hours {hours} claims {target} (allowed {low}-"
            f"{high}); adjust estimated_minutes or ce_hours",
        )
    quizzes = [i for i in items if i.kind == "quiz"]
    needed = math.ceil(hours * 6)
    quiz_failed = quizzes and any(
        p.is_error and p.path == quizzes[0].display for p in draft.problems
    )
    if quizzes and not quiz_failed and len(quizzes[0].questions) < needed:
        out.for_path(quizzes[0].display).warning(
            1,
            "M13",
            f"the quiz has {len(quizzes[0].questions)} question"
            f"{'' if len(quizzes[0].questions) == 1 else 's'}; CE practice "
            f"is 6-8 per CE hour, so {hours} ce_hours needs at least {needed}",
        )


def _check_assessment(draft: ModuleDraft, out: Problems) -> None:
    """Post-test rules (objectives, levels, cues, attempts) on the one quiz."""
    assert draft.module is not None  # noqa: S101
    quizzes = [i for i in draft.path_items() if i.kind == "quiz"]
    if len(quizzes) != 1:
        return
    quiz = quizzes[0]
    raw = draft.module.raw_meta.get("objectives")
    listed = "objectives" in draft.module.meta and raw is not None and raw.items
    objective_lines = list(raw.items) if listed else []  # type: ignore[union-attr]
    quiz_out = out.for_path(quiz.display)
    figures = check_quiz(quiz, len(objective_lines) if listed else None, quiz_out)
    draft.quiz_figures = figures
    if listed:
        check_coverage(figures, quiz, objective_lines, out)


def files_hash(files: dict[str, Path]) -> str:
    """One SHA-256 over every file's relative path and contents."""
    digest = hashlib.sha256()
    for name in sorted(files):
        try:
            data = files[name].read_bytes()
        except OSError:
            data = b""
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()
