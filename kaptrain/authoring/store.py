"""Where published content lives: blobs, revisions, the published pointer and the
content version, read and written through SQLAlchemy.

This module only stores and reads; it checks nothing and never commits.
:mod:`kaptrain.authoring.revisions` owns the rules (checker, version order,
audit) and the transaction.

Stable API (the studio builds on it):

``sha256_of(data) -> str``
    The blob key of a file body.
``files_hash(files) -> str``
    The checker's content hash of a module's files (what learner records name).
``check_path(path) -> str | None``
    Why ``path`` cannot be a file of a module (None when it can).
``put_blobs(files) -> dict[path, sha]``
    Store each body once (skipping blobs already stored).
``read_files(revision) -> dict[path, bytes]``
    A revision's files, byte for byte.
``published() -> dict[module_id, ContentRevision]``
    Every module's current revision.
``current_revision(module_id)``, ``get_revision(module_id, number)``,
``list_revisions(module_id)`` (newest first), ``last_import(module_id)``
``add_revision(...) -> ContentRevision``
    Insert a revision with its file rows and point ``published_modules`` at it.
``read_counter(connection=None) -> int`` / ``bump_counter() -> int``
    The content version hosts poll (0 before the first publish).
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from kaptrain.extensions import db
from kaptrain.models import (
    ContentBlob,
    ContentRevision,
    ContentRevisionFile,
    ContentVersion,
    PublishedModule,
    User,
)
from kaptrain.models.content import PATH_MAX, SOURCE_IMPORT, SOURCE_STUDIO
from kaptrain.platform.database import insert_ignore


def sha256_of(data: bytes) -> str:
    """The hex SHA-256 of a file body: its key in ``content_blobs``."""
    return hashlib.sha256(data).hexdigest()


def files_hash(files: Mapping[str, bytes]) -> str:
    """The content hash the checker computes for a folder holding ``files``.

    Same formula as ``kaptrain.content.modules._hash``: the served catalog, the
    learner records and the store agree on it.
    """
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def check_path(path: str) -> str | None:
    """Why ``path`` cannot name a file of a module, or None when it can.

    A path is relative, POSIX (``/``), has no empty, ``.`` or ``..`` part and no
    part starting with ``.`` (hidden files are not part of a module).
    """
    if not path or len(path) > PATH_MAX:
        return f"a file path must be 1 to {PATH_MAX} characters long"
    if "\\" in path or "\x00" in path:
        return f'"{path}": use / between folders, and no control characters'
    if path.startswith("/") or posixpath.normpath(path) != path:
        return f'"{path}" must be a plain relative path such as media/figure.png'
    parts = path.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return f'"{path}": no part of a path may be empty or start with "."'
    return None


def put_blobs(files: Mapping[str, bytes]) -> dict[str, str]:
    """Store each file body once; return ``{path: sha256}``."""
    by_sha = {sha256_of(data): data for data in files.values()}
    if by_sha:
        stored = set(
            db.session.scalars(
                select(ContentBlob.sha256).where(ContentBlob.sha256.in_(by_sha))
            )
        )
        missing = [
            {"sha256": sha, "size": len(data), "data": data}
            for sha, data in by_sha.items()
            if sha not in stored
        ]
        for row in missing:
            # One row per statement: media can be large, and a failed insert
            # (a racing publish stored it first) is skipped by the database.
            insert_ignore(ContentBlob, row)
    return {path: sha256_of(data) for path, data in files.items()}


def read_files(revision: ContentRevision) -> dict[str, bytes]:
    """A revision's files, ``{path: bytes}``, in path order."""
    rows = db.session.execute(
        select(ContentRevisionFile.path, ContentBlob.data)
        .join(ContentBlob, ContentBlob.sha256 == ContentRevisionFile.blob_sha)
        .where(ContentRevisionFile.revision_id == revision.id)
        .order_by(ContentRevisionFile.path)
    ).all()
    return {path: bytes(data) for path, data in rows}


def read_file(revision: ContentRevision, path: str) -> bytes | None:
    """One file of a revision, or None when it has no such file."""
    data = db.session.scalar(
        select(ContentBlob.data)
        .join(ContentRevisionFile, ContentBlob.sha256 == ContentRevisionFile.blob_sha)
        .where(
            ContentRevisionFile.revision_id == revision.id,
            ContentRevisionFile.path == path,
        )
    )
    return None if data is None else bytes(data)


def published() -> dict[str, ContentRevision]:
    """``{module_id: current revision}`` for every published module."""
    rows = db.session.execute(
        select(PublishedModule.module_id, ContentRevision).join(
            ContentRevision, ContentRevision.id == PublishedModule.revision_id
        )
    ).all()
    return dict(rows)


def current_revision(module_id: str) -> ContentRevision | None:
    """The revision of ``module_id`` hosts serve, or None when unpublished."""
    return db.session.scalar(
        select(ContentRevision)
        .join(PublishedModule, PublishedModule.revision_id == ContentRevision.id)
        .where(PublishedModule.module_id == module_id)
    )


def get_revision(module_id: str, number: int) -> ContentRevision | None:
    """Revision ``number`` of ``module_id``, or None."""
    return db.session.scalar(
        select(ContentRevision).where(
            ContentRevision.module_id == module_id, ContentRevision.number == number
        )
    )


def list_revisions(module_id: str) -> list[ContentRevision]:
    """Every revision of ``module_id``, newest first."""
    return list(
        db.session.scalars(
            select(ContentRevision)
            .where(ContentRevision.module_id == module_id)
            .order_by(ContentRevision.number.desc())
        )
    )


def last_import(module_id: str) -> ContentRevision | None:
    """The newest revision of ``module_id`` that came from ``content import``."""
    return db.session.scalar(
        select(ContentRevision)
        .where(
            ContentRevision.module_id == module_id,
            ContentRevision.source == SOURCE_IMPORT,
        )
        .order_by(ContentRevision.number.desc())
        .limit(1)
    )


def studio_since_import(module_id: str) -> list[ContentRevision]:
    """Studio revisions of ``module_id`` newer than its last import (oldest first)."""
    imported = last_import(module_id)
    query = select(ContentRevision).where(
        ContentRevision.module_id == module_id,
        ContentRevision.source == SOURCE_STUDIO,
    )
    if imported is not None:
        query = query.where(ContentRevision.number > imported.number)
    return list(db.session.scalars(query.order_by(ContentRevision.number)))


def author_names(revisions: list[ContentRevision]) -> dict[int, str]:
    """``{user id: name}`` for the authors of ``revisions`` (one query)."""
    ids = {r.author_id for r in revisions if r.author_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {row.id: row.name for row in rows}


def add_revision(
    *,
    module_id: str,
    folder: str,
    files: Mapping[str, bytes],
    source: str,
    version: str,
    author_id: int | None,
    message: str,
    restored_number: int | None = None,
) -> ContentRevision:
    """Insert the next revision of ``module_id`` and publish it (no commit).

    Call :func:`bump_counter` first in the same transaction: on PostgreSQL its
    row lock makes concurrent publishes take turns, so revision numbers never
    collide (a unique constraint backs this up on every engine).
    """
    shas = put_blobs(files)
    parent = current_revision(module_id)
    number = (
        db.session.scalar(
            select(func.max(ContentRevision.number)).where(
                ContentRevision.module_id == module_id
            )
        )
        or 0
    ) + 1
    revision = ContentRevision(
        module_id=module_id,
        number=number,
        folder=folder,
        parent_id=parent.id if parent else None,
        author_id=author_id,
        message=message,
        source=source,
        version=version,
        content_hash=files_hash(files),
        restored_number=restored_number,
        files=[
            ContentRevisionFile(path=p, blob_sha=s) for p, s in sorted(shas.items())
        ],
    )
    db.session.add(revision)
    db.session.flush()
    pointer = db.session.get(PublishedModule, module_id)
    if pointer is None:
        db.session.add(PublishedModule(module_id=module_id, revision_id=revision.id))
    else:
        pointer.revision_id = revision.id
    db.session.flush()
    return revision


def read_counter(connection: Connection | None = None) -> int:
    """The published content version (0 before anything was published)."""
    statement = select(ContentVersion.counter).where(ContentVersion.id == 1)
    executor: Any = connection if connection is not None else db.session
    value = executor.execute(statement).scalar()
    return int(value or 0)


def bump_counter() -> int:
    """Raise the content version by one in the current transaction; return it."""
    statement = (
        update(ContentVersion)
        .where(ContentVersion.id == 1)
        .values(counter=ContentVersion.counter + 1)
        .returning(ContentVersion.counter)
    )
    value = db.session.execute(statement).scalar()
    if value is None:
        insert_ignore(ContentVersion, {"id": 1, "counter": 0})
        value = db.session.execute(statement).scalar()
    return int(value)
