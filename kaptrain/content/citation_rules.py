"""Reference and citation rules (C1-C8) for one module folder.

What a CE reviewer needs to find each work: a title, a DOI for an article, a
stable address for what has one, structured fields; and every ``[@key]`` cited
is in references.yaml while every reference there is cited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaptrain.content.problems import Problems, did_you_mean
from kaptrain.content.references import LOCATED

if TYPE_CHECKING:
    from kaptrain.content.modules import ModuleDraft


def check_references(draft: ModuleDraft, out: Problems) -> None:
    """C5-C8: what a CE reviewer needs to find each work."""
    refs_out = out.for_path(f"{draft.display}/references.yaml")
    for key, ref in draft.references.items():
        if not ref.title:
            how = (
                "replace text: with fields, starting with"
                if not ref.structured
                else "add"
            )
            refs_out.warning(
                ref.line,
                "C5",
                f'reference "{key}" has no title; {how} title: "the work\'s own '
                'title" (never a description in brackets)',
            )
        if ref.type == "article" and not ref.doi and not ref.no_doi:
            refs_out.warning(
                ref.line,
                "C6",
                f'article "{key}" has no doi; add doi: 10.xxxx/..., or write '
                'doi: none with doi_reason: "..." when the journal assigns none',
            )
        if ref.type in LOCATED and not ref.has_link:
            refs_out.warning(
                ref.line,
                "C7",
                f'{ref.type} "{key}" has neither url nor doi; add the stable '
                "address where a reader finds it (url: https://...)",
            )
        if not ref.structured:
            refs_out.strict_warning(
                ref.at("text"),
                "C8",
                f'reference "{key}" is written as text:; use structured fields '
                "(type, authors, year, title, journal or publisher, doi or url) "
                "so the platform formats it",
            )


def check_citations(draft: ModuleDraft, out: Problems) -> None:
    """C1-C2: every citation has a reference, every reference is cited."""
    used: set[str] = set()
    for item in draft.every_item():
        for key, line in item.scan.citations:
            used.add(key)
            if key in draft.references:
                continue
            if "references.yaml" not in draft.files:
                message = f'"[@{key}]" is cited but the module has no references.yaml'
            else:
                message = (
                    f'"[@{key}]" is not in references.yaml.'
                    f"{did_you_mean(key, draft.references)}"
                )
            out.for_path(item.display).error(line, "C1", message)
    refs_out = out.for_path(f"{draft.display}/references.yaml")
    for key, ref in draft.references.items():
        if key not in used:
            refs_out.warning(
                ref.line,
                "C2",
                f'reference "{key}" is never cited; cite it as [@{key}] or remove it',
            )
