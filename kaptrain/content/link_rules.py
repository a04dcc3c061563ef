"""Link and image rules (L1-L6) for one module folder.

A link or image points inside the module (to a listed item or to media/), to a
fragment on the page, or out over https:, http: or mailto:; images carry alt
text and are served from the module's own media/ folder.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

from kaptrain.content.problems import Problems, did_you_mean

if TYPE_CHECKING:
    from kaptrain.content.modules import ModuleDraft

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_ALLOWED_SCHEMES = ("http", "https", "mailto")


def check_links(draft: ModuleDraft, out: Problems) -> None:
    """L1-L6 on every link and image of the module's Markdown files."""
    for item in draft.every_item():
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
