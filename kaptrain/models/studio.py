"""The authoring studio's working copies and reviews (issue 15).

A *draft* is one author's private working copy of one module's files, based on
a published revision (``base_number``; None for a module that was never
published). Its files live in ``content_draft_files`` as plain bytes (drafts
change on every save, so they are not content-addressed like revisions).

A draft moves through ``draft`` -> ``in_review`` -> ``approved`` (or
``changes_requested``, then back to ``in_review``) -> ``published``. Reviews
and their line comments are kept in ``content_reviews`` and
``content_review_notes``. ``conflicts`` lists the files a rebase found changed
both in the draft and underneath it, until the author settles each one.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kaptrain.extensions import db
from kaptrain.models.base import UTCDateTime, utcnow
from kaptrain.models.content import FOLDER_MAX, MESSAGE_MAX, PATH_MAX
from kaptrain.models.learning import ID_MAX

DRAFT = "draft"
IN_REVIEW = "in_review"
CHANGES_REQUESTED = "changes_requested"
APPROVED = "approved"
PUBLISHED = "published"
DRAFT_STATES = (DRAFT, IN_REVIEW, CHANGES_REQUESTED, APPROVED, PUBLISHED)
#: States in which a draft is still being worked on (not yet published).
OPEN_STATES = (DRAFT, IN_REVIEW, CHANGES_REQUESTED, APPROVED)

APPROVE = "approve"
REQUEST_CHANGES = "request_changes"
COMMENT = "comment"
DECISIONS = (APPROVE, REQUEST_CHANGES, COMMENT)

NOTE_MAX = 4000


class ContentDraft(db.Model):
    """One author's working copy of one module."""

    __tablename__ = "content_drafts"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'in_review', 'changes_requested', 'approved', "
            "'published')",
            name="state",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[str] = mapped_column(String(ID_MAX), index=True)
    folder: Mapped[str] = mapped_column(String(FOLDER_MAX))
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(24), default=DRAFT)
    #: The published revision number the draft started from (None: new module).
    base_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The message given when submitting for review (used when publishing).
    message: Mapped[str] = mapped_column(String(MESSAGE_MAX), default="")
    #: Files changed both here and underneath, one path a line (after a rebase).
    conflicts: Mapped[str] = mapped_column(Text, default="")
    #: Raised on every change; forms carry it so a stale form cannot overwrite.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    published_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    files: Mapped[list[ContentDraftFile]] = relationship(
        back_populates="draft",
        cascade="all, delete-orphan",
        order_by="ContentDraftFile.path",
    )

    @property
    def conflict_paths(self) -> list[str]:
        """The files a rebase left for the author to settle."""
        return [p for p in self.conflicts.splitlines() if p]


class ContentDraftFile(db.Model):
    """One file of a draft."""

    __tablename__ = "content_draft_files"

    draft_id: Mapped[int] = mapped_column(
        ForeignKey("content_drafts.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(String(PATH_MAX), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    #: Alt text given when an image was uploaded (empty for other files).
    alt: Mapped[str] = mapped_column(String(300), default="")

    draft: Mapped[ContentDraft] = relationship(back_populates="files")


class ContentReview(db.Model):
    """One reviewer's decision on a draft, with an overall comment."""

    __tablename__ = "content_reviews"
    __table_args__ = (
        CheckConstraint(
            "decision IN ('approve', 'request_changes', 'comment')", name="decision"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("content_drafts.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decision: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text, default="")
    #: The draft's lock_version the reviewer saw (what was approved).
    draft_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    notes: Mapped[list[ContentReviewNote]] = relationship(
        cascade="all, delete-orphan", order_by="ContentReviewNote.id"
    )


class ContentReviewNote(db.Model):
    """A comment on one line of one file, part of a review."""

    __tablename__ = "content_review_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("content_reviews.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(PATH_MAX))
    line: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
