"""Check one module folder: its files, contents, references, links and credit."""

from __future__ import annotations

import hashlib
import math
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from kaptrain.content.assessment import QuizFigures, check_coverage, check_quiz
from kaptrain.content.hours import HoursEstimate, estimate
from kaptrain.content.items import ItemDraft, read_item
from kaptrain.content.model import ModuleFigures
from kaptrain.content.planners import check_planners_listed
from kaptrain.content.problems import Problem, Problems, did_you_mean
from kaptrain.content.references import LOCATED, RefDraft, read_references

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_ALLOWED_SCHEMES = ("http", "https", "mailto")


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
    _check_references(draft, out)
    _check_citations(draft, out)
    _check_links(draft, out)
    draft.content_hash = _hash(draft.files)
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


def _check_references(draft: ModuleDraft, out: Problems) -> None:
    """C5-C8: what a CE reviewer needs to find each work."""
    refs_out = out.for_path(f"{draft.display}/references.yaml")
    for key, ref in draft.references.items():
        if not ref.title:
            how = (
                "replace text: with fields, starting with"
                if not ref.structured
                else "add"
            )
            refs_out.warning(
                ref.line,
                "C5",
                f'reference "{key}" has no title; {how} title: "the work\'s own '
                'title" (never a description in brackets)',
            )
        if ref.type == "article" and not ref.doi and not ref.no_doi:
            refs_out.warning(
                ref.line,
                "C6",
                f'article "{key}" has no doi; add doi: 10.xxxx/..., or write '
                'doi: none with doi_reason: "..." when the journal assigns none',
            )
        if ref.type in LOCATED and not ref.has_link:
            refs_out.warning(
                ref.line,
                "C7",
                f'{ref.type} "{key}" has neither url nor doi; add the stable '
                "address where a reader finds it (url: https://...)",
            )
        if not ref.structured:
            refs_out.strict_warning(
                ref.at("text"),
                "C8",
                f'reference "{key}" is written as text:; use structured fields '
                "(type, authors, year, title, journal or publisher, doi or url) "
                "so the platform formats it",
            )


def _check_citations(draft: ModuleDraft, out: Problems) -> None:
    used: set[str] = set()
    everything = ([draft.module] if draft.module else []) + list(draft.items.values())
    for item in everything:
        for key, line in item.scan.citations:
            used.add(key)
            if key in draft.references:
                continue
            if "references.yaml" not in draft.files:
                message = f'"[@{key}]" is cited but the module has no references.yaml'
            else:
                message = (
                    f'"[@{key}]" is not in references.yaml.'
                    f"{did_you_mean(key, draft.references)}"
                )
            out.for_path(item.display).error(line, "C1", message)
    refs_out = out.for_path(f"{draft.display}/references.yaml")
    for key, ref in draft.references.items():
        if key not in used:
            refs_out.warning(
                ref.line,
                "C2",
                f'reference "{key}" is never cited; cite it as [@{key}] or remove it',
            )


def _check_links(draft: ModuleDraft, out: Problems) -> None:
    everything = ([draft.module] if draft.module else []) + list(draft.items.values())
    for item in everything:
        item_out = out.for_path(item.display)
        for target, text, line, image in item.scan.links:
            if image and not text.strip():
                item_out.error(
                    line,
                    "L3",
                    "image has no alt text; describe it for "
                    "screen readers: ![what the image shows](media/x.png)",
                )
            _check_target(draft, target, image, line, item_out)


def _check_target(
    draft: ModuleDraft, target: str, image: bool, line: int, out: Problems
) -> None:
    what = "image" if image else "link"
    if not target:
        out.error(line, "L1", f"{what} has no target between the parentheses")
        return
    scheme = _SCHEME.match(target)
    if scheme and scheme.group(1).lower() not in _ALLOWED_SCHEMES:
        out.error(
            line,
            "L5",
            f'{what} "{target[:60]}" uses "{scheme.group(1)}:"; only '
            "https:, http:, mailto: and relative links are allowed",
        )
        return
    if target.startswith("#"):
        return
    if scheme or target.startswith("/"):
        if image:
            out.error(
                line,
                "L6",
                f'image "{target[:60]}" is not in the module; save '
                "it in media/ and write ![alt](media/name.png)",
            )
        return
    path = posixpath.normpath(unquote(target.partition("#")[0].partition("?")[0]))
    if path == "." or not path:
        return
    if path.startswith("../") or path == "..":
        out.error(
            line,
            "L4",
            f'{what} "{target}" points outside the module folder; '
            "link to other modules by their web address instead",
        )
        return
    if path not in draft.files:
        code = "L2" if image else "L1"
        out.error(
            line,
            code,
            f'{what} "{target}" does not resolve: there is no '
            f"file {path} in the module.{did_you_mean(path, draft.files)}",
        )
    elif path.endswith(".md") and path != "module.md" and path not in draft.contents:
        out.error(
            line,
            "L1",
            f'link "{target}" points to a file that is not in '
            "contents, so it is never published",
        )
    elif not path.endswith(".md") and not path.startswith("media/"):
        out.error(
            line,
            "L6",
            f'"{path}" is not in media/; only files in the '
            "module's media/ folder are served",
        )


def _hash(files: dict[str, Path]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        try:
            data = files[name].read_bytes()
        except OSError:
            data = b""
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()
