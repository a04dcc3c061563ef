"""The immutable catalog: frozen dataclasses, tuples and read-only mappings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from kaptrain.content.planners import Planner
from kaptrain.content.problems import Problem


def _rebuild(cls: type, values: dict[str, object]) -> object:
    """Unpickle a frozen dataclass whose read-only mappings were sent as dicts."""
    for name, value in values.items():
        if isinstance(value, dict):
            values[name] = MappingProxyType(value)
    return cls(**values)


class _Picklable:
    """Pickle support for frozen dataclasses holding ``MappingProxyType`` fields
    (which cannot be pickled): build workers and the render cache send modules
    between processes and to disk."""

    def __reduce__(self) -> tuple[object, tuple[type, dict[str, object]]]:
        values = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, MappingProxyType):
                value = dict(value)
            values[f.name] = value
        return _rebuild, (type(self), values)


@dataclass(frozen=True)
class Reference:
    """One entry of ``references.yaml``; ``href`` is the DOI link or url.

    ``text`` is the APA-style reference in Markdown (formatted by the platform
    from the entry's fields, or the legacy hand-written ``text:``).
    """

    key: str
    text: str
    doi: str | None
    url: str | None
    label: str
    text_html: str
    #: ``article``, ``book`` ... (None for a legacy ``text:`` entry).
    type: str | None = None
    title: str | None = None

    @property
    def href(self) -> str | None:
        """Where the reference can be read, preferring the DOI."""
        return f"https://doi.org/{self.doi}" if self.doi else self.url


@dataclass(frozen=True)
class Lesson:
    """A Markdown lesson page."""

    id: str
    title: str
    estimated_minutes: int
    objectives: tuple[str, ...]
    content_note: str | None
    optional: bool
    html: str
    toc_html: str
    cited_keys: tuple[str, ...]
    source_path: Path
    kind: Literal["lesson"] = "lesson"


@dataclass(frozen=True)
class Option:
    """An answer option; ``key`` is ``a``, ``b``... by written position."""

    key: str
    text_html: str
    correct: bool
    feedback_html: str


@dataclass(frozen=True)
class Question:
    """A quiz item. For ``order`` questions ``options`` are in the right order."""

    id: str
    type: Literal["single", "multiple", "true-false", "order"]
    stem_html: str
    options: tuple[Option, ...]
    explanation_html: str
    cited_keys: tuple[str, ...]
    #: 1-based positions in the module's objectives that the item assesses.
    objectives: tuple[int, ...] = ()
    #: ``recall``, ``understand`` or ``apply`` (absent in the file: ``recall``).
    level: Literal["recall", "understand", "apply"] = "recall"

    @property
    def correct_keys(self) -> tuple[str, ...]:
        """Keys of correct options (for ``order``: every key, in order)."""
        return tuple(o.key for o in self.options if o.correct)


@dataclass(frozen=True)
class Quiz:
    """The module's post-test (and pre-test when ``pretest`` is true)."""

    id: str
    title: str
    pass_percent: int
    pretest: bool
    shuffle_options: bool
    max_attempts: int | None
    retry_wait_minutes: int | None
    estimated_minutes: int
    questions: tuple[Question, ...]
    source_path: Path
    kind: Literal["quiz"] = "quiz"
    optional: bool = False

    def question(self, question_id: str) -> Question | None:
        """The question with this id, or None."""
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class Choice:
    """A rated choice in a scene; ``key`` is ``1``, ``2``... by position."""

    key: str
    text_html: str
    rating: Literal["best", "ok", "avoid"]
    target: str
    feedback_html: str


@dataclass(frozen=True)
class Node:
    """A vignette node. ``next`` is the Continue target of a scene or reflection."""

    id: str
    kind: Literal["scene", "reflection", "ending"]
    body_html: str
    prompt_html: str
    choices: tuple[Choice, ...]
    next: str | None


@dataclass(frozen=True)
class Vignette(_Picklable):
    """A branching case; ``nodes`` maps node id to node, in written order."""

    id: str
    title: str
    start: str
    based_on: str
    estimated_minutes: int
    content_note: str | None
    optional: bool
    nodes: Mapping[str, Node]
    cited_keys: tuple[str, ...]
    source_path: Path
    kind: Literal["vignette"] = "vignette"


@dataclass(frozen=True)
class Evaluation:
    """End-of-module course evaluation: ratings (1-5) and free-text comments."""

    id: str
    title: str
    estimated_minutes: int
    ratings: tuple[tuple[str, str], ...]
    comments: tuple[tuple[str, str], ...]
    source_path: Path
    kind: Literal["evaluation"] = "evaluation"
    optional: bool = False


Item = Lesson | Quiz | Vignette | Evaluation


@dataclass(frozen=True)
class ModuleFigures:
    """What the checker measured in a module, for content health and ``check``.

    Computed once at build time from the files (``content check`` prints them).
    """

    items: int
    apply_items: int
    single_choice: int
    keyed_longest: int
    objectives: int
    objectives_covered: int
    references: int
    references_titled: int
    references_linked: int
    words: int
    estimated_minutes: int
    claimed_minutes: int | None
    estimate_basis: str

    @property
    def apply_share(self) -> float | None:
        """Share of post-test items at application level (None without items)."""
        return self.apply_items / self.items if self.items else None

    @property
    def longest_share(self) -> float | None:
        """Share of single-choice items whose correct option is the longest."""
        return self.keyed_longest / self.single_choice if self.single_choice else None

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready mapping (``content check --format json``)."""
        return {
            "items": self.items,
            "apply_items": self.apply_items,
            "apply_share": _round(self.apply_share),
            "single_choice_items": self.single_choice,
            "keyed_longest": self.keyed_longest,
            "keyed_longest_share": _round(self.longest_share),
            "objectives": self.objectives,
            "objectives_covered": self.objectives_covered,
            "references": self.references,
            "references_with_title": self.references_titled,
            "references_with_doi_or_url": self.references_linked,
            "words": self.words,
            "estimated_minutes": self.estimated_minutes,
            "claimed_minutes": self.claimed_minutes,
            "estimate_basis": self.estimate_basis,
        }

    def summary(self) -> str:
        """One line for the plain ``content check`` output."""
        claimed = (
            f"{self.claimed_minutes} claimed"
            if self.claimed_minutes is not None
            else "no ce_hours"
        )
        return (
            f"{self.items} item{'' if self.items == 1 else 's'}, "
            f"{_pct(self.apply_share)} apply, correct option "
            f"longest in {_pct(self.longest_share)} of single-choice, objectives "
            f"{self.objectives_covered}/{self.objectives}, references titled "
            f"{self.references_titled}/{self.references} with DOI/URL "
            f"{self.references_linked}/{self.references}, "
            f"{self.estimated_minutes} min estimated vs {claimed}"
        )


def _round(share: float | None) -> float | None:
    return round(share, 3) if share is not None else None


def _pct(share: float | None) -> str:
    return f"{share:.0%}" if share is not None else "-"


@dataclass(frozen=True)
class Module:
    """A valid module, with items in ``contents`` order."""

    id: str
    title: str
    summary: str
    version: str
    order: int
    ce_hours: Decimal
    objectives: tuple[str, ...]
    prerequisites: tuple[str, ...]
    audience: str | None
    level: str | None
    content_note: str | None
    overview_html: str
    items: tuple[Item, ...]
    references: tuple[Reference, ...]
    content_hash: str
    path: Path
    #: Files under ``media/`` as POSIX paths relative to the module folder.
    media: frozenset[str] = frozenset()
    #: The checker's figures (post-test, references, honest CE hours).
    figures: ModuleFigures | None = None
    #: Planners, authors and reviewers with their disclosures (``planners:``).
    planners: tuple[Planner, ...] = ()

    def item(self, item_id: str) -> Item | None:
        """The item with this id, or None."""
        return next((i for i in self.items if i.id == item_id), None)

    def _index(self, item_id: str) -> int | None:
        return next((n for n, i in enumerate(self.items) if i.id == item_id), None)

    def prev_item(self, item_id: str) -> Item | None:
        """The item before ``item_id`` in the learning path."""
        index = self._index(item_id)
        return self.items[index - 1] if index else None

    def next_item(self, item_id: str) -> Item | None:
        """The item after ``item_id`` in the learning path."""
        index = self._index(item_id)
        if index is None or index + 1 >= len(self.items):
            return None
        return self.items[index + 1]

    @property
    def lessons(self) -> tuple[Lesson, ...]:
        """Lessons in path order."""
        return tuple(i for i in self.items if isinstance(i, Lesson))

    @property
    def vignettes(self) -> tuple[Vignette, ...]:
        """Vignettes in path order."""
        return tuple(i for i in self.items if isinstance(i, Vignette))

    @property
    def quiz(self) -> Quiz:
        """The module's one quiz."""
        return next(i for i in self.items if isinstance(i, Quiz))

    @property
    def evaluation(self) -> Evaluation:
        """The module's one evaluation."""
        return next(i for i in self.items if isinstance(i, Evaluation))

    @property
    def total_minutes(self) -> int:
        """Sum of estimated minutes over the path (the CE credit basis)."""
        return sum(i.estimated_minutes for i in self.items)

    @property
    def required_items(self) -> tuple[Item, ...]:
        """Items that must be completed (everything not marked optional)."""
        return tuple(i for i in self.items if not i.optional)

    def media_file(self, name: str) -> Path | None:
        """The file for ``media/<name>`` when it belongs to the module, else None."""
        key = name if name.startswith("media/") else f"media/{name}"
        return self.path / key if key in self.media else None

    def reference(self, key: str) -> Reference | None:
        """The reference with this citation key, or None."""
        return next((r for r in self.references if r.key == key), None)


@dataclass(frozen=True)
class BrokenModule:
    """A module left out of the catalog, with the problems that kept it out."""

    name: str
    id: str | None
    path: Path
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Catalog(_Picklable):
    """Every valid module, ordered by ``order``; immutable once built."""

    modules: tuple[Module, ...]
    broken: tuple[BrokenModule, ...]
    problems: tuple[Problem, ...]
    version: str
    by_id: Mapping[str, Module] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, module_id: str) -> Module | None:
        """The module with this id, or None (unknown or broken)."""
        return self.by_id.get(module_id)


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build_catalog` returns: the catalog and every problem."""

    catalog: Catalog
    problems: tuple[Problem, ...]
    #: How many modules this build rendered (the rest were reused or broken).
    rendered: int = 0
    #: How many processes read and rendered (1: this process only).
    workers: int = 1

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Only the errors."""
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Only the warnings."""
        return tuple(p for p in self.problems if not p.is_error)
