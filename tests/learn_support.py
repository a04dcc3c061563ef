"""Helpers shared by the learn, progress and certificate tests (not a test file)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

CONTENT = Path(__file__).resolve().parent / "content"
MODULE_ID = "complete-module"


def copy_fixture_module(dest: Path, *, edit: dict[str, str] | None = None) -> Path:
    """Copy the complete fixture module into ``dest/modules`` and return that dir.

    ``edit`` maps a file name to (old, new) pairs joined by "=>", for variants.
    """
    modules = dest / "modules"
    target = modules / MODULE_ID
    shutil.copytree(CONTENT / "complete-module", target)
    for name, change in (edit or {}).items():
        old, new = change.split("=>", 1)
        path = target / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return modules


def fixture_config(tmp_path: Path, **edit: str) -> dict[str, Any]:
    """App settings pointing MODULES_DIR at a private copy of the fixture module."""
    return {
        "MODULES_DIR": copy_fixture_module(tmp_path, edit=edit or None),
        "PROVIDER_NAME": "Test Provider",
        "PROVIDER_APPROVAL": "Approval 123",
    }


def form_value(html: str, name: str) -> str:
    """The value of the first hidden input called ``name``."""
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no input {name!r} in the page"
    return match.group(1)
