"""Published course content: revisions of modules, their files, and the version
every host follows.

A module's published state is a *revision*: the set of its files (Markdown,
``references.yaml``, media) with who made it, when, from which parent revision
and why. File bodies are stored content-addressed in ``content_blobs`` (keyed by
SHA-256), so a file unchanged across revisions is stored once.
``published_modules`` names each module's current revision, and the single row
of ``content_version`` holds a counter raised in the same transaction as every
publish: hosts compare it (one cheap query per poll interval) to know when to
rebuild their catalog. See :mod:`kaptrain.authoring`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kaptrain.extensions import db
from kaptrain.models.base import UTCDateTime, utcnow
from kaptrain.models.learning import HASH_MAX, ID_MAX, VERSION_MAX

#: Where a revision came from.
SOURCE_IMPORT = "import"
SOURCE_STUDIO = "studio"
SOURCE_ROLLBACK = "rollback"
SOURCES = (SOURCE_IMPORT, SOURCE_STUDIO, SOURCE_ROLLBACK)

PATH_MAX = 300
FOLDER_MAX = 120
MESSAGE_MAX = 500


class ContentBlob(db.Model):
    """One file body, stored once whatever number of revisions use it."""

    __tablename__ = "content_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContentRevision(db.Model):
    """One published state of one module (numbered 1, 2, ... per module)."""

    __tablename__ = "content_revisions"
    __table_args__ = (
        UniqueConstraint("module_id", "number"),
        CheckConstraint(
            "source IN ('import', 'studio', 'rollback')",
            name="source",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[str] = mapped_column(String(ID_MAX), index=True)
    number: Mapped[int] = mapped_column(Integer)
    #: The module's folder name (files are exported and served under it).
    folder: Mapped[str] = mapped_column(String(FOLDER_MAX))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("content_revisions.id", ondelete="SET NULL"), nullable=True
    )
    #: Who published it (None for a deleted account or a command-line import
    #: without a named user).
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    message: Mapped[str] = mapped_column(String(MESSAGE_MAX), default="")
    source: Mapped[str] = mapped_column(String(16))
    #: The ``version`` in module.md and the checker's content hash of the files,
    #: as learner records name them (module_versions).
    version: Mapped[str] = mapped_column(String(VERSION_MAX))
    content_hash: Mapped[str] = mapped_column(String(HASH_MAX))
    #: For a rollback, the revision number whose files were published again.
    restored_number: Mapped[int | None] = mapped_column(Integer, nullable=True)

    files: Mapped[list[ContentRevisionFile]] = relationship(
        back_populates="revision",
        cascade="all, delete-orphan",
        order_by="ContentRevisionFile.path",
    )


class ContentRevisionFile(db.Model):
    """One file of a revision: its path inside the module folder and its blob."""

    __tablename__ = "content_revision_files"

    revision_id: Mapped[int] = mapped_column(
        ForeignKey("content_revisions.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(String(PATH_MAX), primary_key=True)
    blob_sha: Mapped[str] = mapped_column(
        ForeignKey("content_blobs.sha256"), index=True
    )

    revision: Mapped[ContentRevision] = relationship(back_populates="files")


class PublishedModule(db.Model):
    """Which revision of a module every host serves."""

    __tablename__ = "published_modules"

    module_id: Mapped[str] = mapped_column(String(ID_MAX), primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("content_revisions.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    revision: Mapped[ContentRevision] = relationship()


class ContentVersion(db.Model):
    """One row (id 1): a counter raised with every publish. Hosts poll it."""

    __tablename__ = "content_version"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    counter: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )
