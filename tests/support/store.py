"""Settings and helpers for tests of published content (``kaptrain.authoring``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from kaptrain.content.modules import list_files
from tests.support.learn import copy_fixture_module


def store_config(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    """An app serving published revisions, with a private copy of the fixture
    module in MODULES_DIR (nothing published yet) and private folders."""
    config = {
        "CONTENT_SOURCE": "database",
        "MODULES_DIR": copy_fixture_module(tmp_path),
        "PUBLISHED_DIR": tmp_path / "published",
        "CONTENT_CACHE_DIR": tmp_path / "render-cache",
        "CONTENT_POLL_SECONDS": 60.0,
    }
    config.update(extra)
    return config


def folder_files(folder: Path) -> dict[str, bytes]:
    """Every (non-hidden) file of a module folder, ``{path: bytes}``."""
    return {name: path.read_bytes() for name, path in list_files(folder).items()}


def follow_now(app: Flask) -> bool:
    """Make the app's worker check the published version now (as a poll would)."""
    with app.app_context():
        return app.extensions["kaptrain_follower"].poll()


def bump_version(files: dict[str, bytes], old: str, new: str) -> dict[str, bytes]:
    """``files`` with module.md's version changed from ``old`` to ``new``."""
    head = files["module.md"]
    assert f"version: {old}".encode() in head
    return {
        **files,
        "module.md": head.replace(
            f"version: {old}".encode(), f"version: {new}".encode(), 1
        ),
    }
