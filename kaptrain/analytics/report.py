"""An item-analysis report for one module's quiz: versions, the chosen one, and
the figures. Shared by the supervisors' and the authors' pages, which differ
only in whose attempts they count (``users``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from kaptrain.analytics.items import ItemSpec, QuizStats, analyse_quiz
from kaptrain.analytics.queries import QuizVersion, load_attempts, quiz_versions
from kaptrain.content import Module, Question, Quiz

FIRST = "first"
ALL = "all"
ATTEMPT_CHOICES = {FIRST: "First attempts only", ALL: "All attempts"}


@dataclass(frozen=True)
class AnalysisReport:
    module: Module
    quiz: Quiz
    versions: tuple[QuizVersion, ...]
    version: QuizVersion | None
    attempts: str  # FIRST or ALL
    stats: QuizStats | None
    questions: Mapping[str, Question]  # empty unless the version is the current one
    notice: str = ""

    @property
    def current_version(self) -> bool:
        return (
            self.version is not None
            and self.version.content_hash == self.module.content_hash
        )


def specs_for(quiz: Quiz) -> tuple[ItemSpec, ...]:
    """Item specs (option keys, ordered or not) from the content's quiz."""
    return tuple(
        ItemSpec(q.id, tuple(o.key for o in q.options), ordered=q.type == "order")
        for q in quiz.questions
    )


def build_report(
    module: Module,
    *,
    users: Select[Any] | None,
    version_key: str = "",
    attempts: str = FIRST,
) -> AnalysisReport:
    """Analyse the post-test of ``module`` for one content version (3 queries).

    ``version_key`` picks a version (default: the newest with data); an unknown
    key or attempts choice falls back to the default with a notice.
    """
    quiz = module.quiz
    notices = []
    if attempts not in ATTEMPT_CHOICES:
        notices.append("Showing first attempts only; choose one of the listed options.")
        attempts = FIRST
    versions = tuple(quiz_versions(module.id, quiz.id, users))
    version = next((v for v in versions if v.key == version_key), None)
    if version is None and version_key:
        notices.append(
            "That content version has no post-test attempts here; showing the newest "
            "version that has."
        )
    version = version or (versions[0] if versions else None)
    stats = None
    questions: dict[str, Question] = {}
    if version is not None:
        current = version.content_hash == module.content_hash
        records = load_attempts(
            module.id, quiz.id, version, users=users, first_only=attempts == FIRST
        )
        stats = analyse_quiz(records, specs_for(quiz) if current else ())
        if current:
            questions = {q.id: q for q in quiz.questions}
    return AnalysisReport(
        module=module,
        quiz=quiz,
        versions=versions,
        version=version,
        attempts=attempts,
        stats=stats,
        questions=questions,
        notice=" ".join(notices),
    )


def report_for_args(
    module: Module, users: Select[Any] | None, args: Mapping[str, str]
) -> AnalysisReport:
    """:func:`build_report` for the version and attempts a page's query string
    chose (``version`` and ``attempts``; first attempts when absent)."""
    return build_report(
        module,
        users=users,
        version_key=args.get("version", ""),
        attempts=args.get("attempts", FIRST),
    )
