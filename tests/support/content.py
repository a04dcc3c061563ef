"""The content folder a test app reads, chosen with ``@pytest.mark.content``.

* ``@pytest.mark.content(None)``: an empty modules folder (no curriculum; fastest).
* ``@pytest.mark.content("complete-module")``: a private copy of the fixture module
  with the provider settings certificates need; ``second=True`` adds a second
  module that requires the first, ``edit={...}`` changes its files (see
  :func:`tests.support.learn.copy_fixture_module`).
* ``@pytest.mark.content("<case>")``: a private copy of ``tests/content/<case>``.

Put it on a test, a class, or a whole module (``pytestmark = ...``). The ``app``
fixture applies it (through the ``content_folder`` fixture, which also hands the
settings to a test that asks for them) before ``app_config``, which stays for
other settings.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.support.learn import MODULE_ID, fixture_config
from tests.support.settings import CONTENT_FIXTURES


def content_config(
    tmp_path: Path,
    name: str | None = None,
    *,
    second: bool = False,
    edit: dict[str, str] | None = None,
) -> dict[str, Any]:
    """App settings for the content folder the marker names."""
    if name == MODULE_ID:
        return fixture_config(tmp_path, second=second, edit=edit)
    if second or edit:
        raise ValueError(f"second= and edit= apply to {MODULE_ID!r} only")
    modules = tmp_path / "modules"
    modules.mkdir(exist_ok=True)
    if name is not None:
        source = CONTENT_FIXTURES / name
        if not source.is_dir():
            raise ValueError(f"no content fixture tests/content/{name}")
        shutil.copytree(source, modules / name)
    return {"MODULES_DIR": modules}
