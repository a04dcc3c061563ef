"""Learner records: progress, quiz attempts, vignette runs, journal, evaluations,
certificates, and the content versions they were made under.

Records name content by stable string ids (``module_id``, ``item_id``) plus the
module version and content hash current when the record was made; content itself
lives in files. Every write that can race has a unique constraint behind it, so a
double click or a replay produces one row, never two.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kaptrain.extensions import db
from kaptrain.models.base import UTCDateTime, utcnow

ID_MAX = 64
VERSION_MAX = 32
HASH_MAX = 64
JOURNAL_MAX = 10_000
COMMENT_MAX = 2_000


def _user_fk() -> Any:
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class ModuleVersion(db.Model):
    """Each (module, version, content hash) the site has served."""

    __tablename__ = "module_versions"
    __table_args__ = (UniqueConstraint("module_id", "version", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[str] = mapped_column(String(ID_MAX))
    version: Mapped[str] = mapped_column(String(VERSION_MAX))
    content_hash: Mapped[str] = mapped_column(String(HASH_MAX))
    title: Mapped[str] = mapped_column(String(300))
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ItemProgress(db.Model):
    """A trainee's state on one lesson, vignette or other item of a module."""

    __tablename__ = "item_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id", "item_id"),
        Index("ix_item_progress_module_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    module_id: Mapped[str] = mapped_column(String(ID_MAX))
    item_id: Mapped[str] = mapped_column(String(ID_MAX))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    module_version: Mapped[str] = mapped_column(String(VERSION_MAX))
    content_hash: Mapped[str] = mapped_column(String(HASH_MAX))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class QuizAttempt(db.Model):
    """One sitting of a module's quiz, as pre-test (``kind='pre'``) or post-test.

    An attempt is created when the trainee starts it (a POST) with its question and
    option order fixed in ``layout``; submission fills ``submitted_at`` with a
    conditional UPDATE, so concurrent submits of one attempt grade it once.
    """

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id", "quiz_id", "kind", "number"),
        Index("ix_quiz_attempts_module_id", "module_id", "quiz_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    module_id: Mapped[str] = mapped_column(String(ID_MAX))
    quiz_id: Mapped[str] = mapped_column(String(ID_MAX))
    kind: Mapped[str] = mapped_column(String(8))  # "pre" or "post"
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per kind
    module_version: Mapped[str] = mapped_column(String(VERSION_MAX))
    content_hash: Mapped[str] = mapped_column(String(HASH_MAX))
    layout: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    correct_count: Mapped[int | None] = mapped_column(Integer)
    item_count: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)  # percent, 0-100
    passed: Mapped[bool | None] = mapped_column(Boolean)

    responses: Mapped[list[QuizResponse]] = relationship(
        back_populates="attempt",
        cascade="all, delete-orphan",
        order_by="QuizResponse.position",
    )


class QuizResponse(db.Model):
    """The answer to one item within an attempt: chosen option keys, in order."""

    __tablename__ = "quiz_responses"

    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_attempts.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(ID_MAX), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    answer: Mapped[list[str]] = mapped_column(JSON, default=list)
    correct: Mapped[bool] = mapped_column(Boolean)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="responses")


class VignetteRun(db.Model):
    """One run through a branching case; ``number`` counts runs per case."""

    __tablename__ = "vignette_runs"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id", "vignette_id", "number"),
        Index("ix_vignette_runs_module_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    module_id: Mapped[str] = mapped_column(String(ID_MAX))
    vignette_id: Mapped[str] = mapped_column(String(ID_MAX))
    number: Mapped[int] = mapped_column(Integer)
    module_version: Mapped[str] = mapped_column(String(VERSION_MAX))
    content_hash: Mapped[str] = mapped_column(String(HASH_MAX))
    current_node: Mapped[str] = mapped_column(String(ID_MAX))
    step_count: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ending_id: Mapped[str | None] = mapped_column(String(ID_MAX))
    #: Time of the latest step (None before the first): kept with each step so
    #: progress and the cohort dashboard need not join every step to find it.
    last_step_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    steps: Mapped[list[VignetteStep]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="VignetteStep.seq"
    )


class VignetteStep(db.Model):
    """One move in a run: the node left, the choice made (None for Continue)."""

    __tablename__ = "vignette_steps"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("vignette_runs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[str] = mapped_column(String(ID_MAX))
    choice_key: Mapped[str | None] = mapped_column(String(8))
    rating: Mapped[str | None] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(ID_MAX))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    run: Mapped[VignetteRun] = relationship(back_populates="steps")


class JournalEntry(db.Model):
    """A reflection: from a vignette's reflection node, or a free entry.

    Private unless ``shared`` is true. The body is shown as escaped text only.
    """

    __tablename__ = "journal_entries"
    __table_args__ = (
        # One entry per reflection node per run; free entries have NULL run_id,
        # and NULLs never collide in a unique constraint on either engine.
        UniqueConstraint("run_id", "node_id"),
        Index("ix_journal_entries_user_id", "user_id", "shared"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    module_id: Mapped[str | None] = mapped_column(String(ID_MAX))
    vignette_id: Mapped[str | None] = mapped_column(String(ID_MAX))
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("vignette_runs.id", ondelete="SET NULL")
    )
    node_id: Mapped[str | None] = mapped_column(String(ID_MAX))
    prompt: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    comments: Mapped[list[JournalComment]] = relationship(
        back_populates="entry",
        cascade="all, delete-orphan",
        order_by="JournalComment.created_at",
    )


class JournalComment(db.Model):
    """A supervisor's comment on an entry the trainee shared."""

    __tablename__ = "journal_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[JournalEntry] = relationship(back_populates="comments")
    author = relationship("User")


class EvaluationResponse(db.Model):
    """The module's course evaluation: ratings 1-5 and free-text comments."""

    __tablename__ = "evaluation_responses"
    __table_args__ = (UniqueConstraint("user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    module_id: Mapped[str] = mapped_column(String(ID_MAX))
    evaluation_id: Mapped[str] = mapped_column(String(ID_MAX))
    module_version: Mapped[str] = mapped_column(String(VERSION_MAX))
    content_hash: Mapped[str] = mapped_column(String(HASH_MAX))
    ratings: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    comments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Certificate(db.Model):
    """Issued once per trainee and module on completion; fields are snapshots,
    so the certificate reads the same after a rename or a new content version."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = _user_fk()
    module_id: Mapped[str] = mapped_column(String(ID_MAX))
    module_version: Mapped[str] = mapped_column(String(VERSION_MAX))
    module_title: Mapped[str] = mapped_column(String(300))
    trainee_name: Mapped[str] = mapped_column(String(120))
    ce_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    format: Mapped[str] = mapped_column(String(60), default="online, self-paced")
    provider_name: Mapped[str] = mapped_column(String(200))
    provider_approval: Mapped[str] = mapped_column(String(200), default="")
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
