"""Structured references.yaml entries, formatted by the platform (APA 7 style)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaptrain.content import Renderer, build_catalog
from kaptrain.content.references import RefDraft, format_reference

CONTENT = Path(__file__).parent / "content"


def ref(**fields: str) -> RefDraft:
    return RefDraft(key="key-2020", line=1, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {
                "type": "article",
                "authors": "Carter, R. T.",
                "year": "2007",
                "title": "Racism and psychological and emotional injury",
                "journal": "The Counseling Psychologist",
                "volume": "35",
                "issue": "1",
                "pages": "13-105",
            },
            "Carter, R. T. (2007). Racism and psychological and emotional injury. "
            "*The Counseling Psychologist*, *35*(1), 13\\-105.",
        ),
        (
            {
                "type": "book",
                "authors": "Sue, D. W., & Sue, D.",
                "year": "2016",
                "title": "Counseling the culturally diverse: Theory and practice",
                "edition": "7th",
                "publisher": "Wiley",
            },
            "Sue, D. W., & Sue, D. (2016). *Counseling the culturally diverse: "
            "Theory and practice* (7th ed.). Wiley.",
        ),
        (
            {
                "type": "chapter",
                "authors": "Doe, J.",
                "year": "2020",
                "title": "Integration sessions",
                "editors": "A. Smith & B. Jones",
                "book": "Handbook of psychedelic care",
                "pages": "10-30",
                "publisher": "Guilford Press",
            },
            "Doe, J. (2020). Integration sessions. In A. Smith & B. Jones (Eds.), "
            "*Handbook of psychedelic care* (pp. 10\\-30). Guilford Press.",
        ),
        (
            {
                "type": "label",
                "authors": "Janssen Pharmaceuticals",
                "year": "2023, October",
                "title": "Spravato (esketamine) nasal spray: Prescribing information",
                "publisher": "Janssen Pharmaceuticals",
            },
            "Janssen Pharmaceuticals. (2023, October). *Spravato \\(esketamine\\) "
            "nasal spray: Prescribing information*.",
        ),
        (
            {
                "type": "guideline",
                "authors": "American Psychological Association",
                "year": "2017",
                "title": "Multicultural guidelines",
            },
            "American Psychological Association. (2017). *Multicultural guidelines*.",
        ),
        (
            {
                "type": "report",
                "authors": "Smith, A.",
                "year": "2021",
                "title": "Access to care",
                "publisher": "Health Institute",
            },
            "Smith, A. (2021). *Access to care*. Health Institute.",
        ),
        (
            {
                "type": "web",
                "authors": "Open Clinic",
                "title": "What to expect?",
                "note": "details unconfirmed: date",
            },
            "Open Clinic. (n.d.). *What to expect?* (details unconfirmed: date)",
        ),
    ],
    ids=["article", "book", "chapter", "label", "guideline", "report", "web"],
)
def test_each_type_is_formatted(fields: dict[str, str], expected: str) -> None:
    assert format_reference(ref(**fields)) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"type": "web", "title": "Ketamine facts", "year": "2024"},
            "*Ketamine facts*. (2024).",
        ),
        (
            {"type": "book", "title": "A manual", "publisher": "APA Press"},
            "*A manual*. (n.d.). APA Press.",
        ),
        (
            {"type": "article", "title": "An unsigned editorial", "journal": "J"},
            "An unsigned editorial. (n.d.). *J*.",
        ),
    ],
)
def test_without_an_author_the_title_comes_first(
    fields: dict[str, str], expected: str
) -> None:
    assert format_reference(ref(**fields)) == expected


def test_legacy_text_is_kept() -> None:
    assert format_reference(ref(text="Carter (2007). *Injury*.")) == (
        "Carter (2007). *Injury*."
    )


@pytest.mark.parametrize(
    "title",
    ["<script>alert(1)</script>", "[x](javascript:alert(1))", "**bold** [@key]"],
)
def test_fields_are_escaped_not_markup(title: str) -> None:
    html = Renderer().inline(
        format_reference(ref(type="book", authors="A, B.", year="2020", title=title))
    )
    assert "<script" not in html and "<a " not in html and "<strong>" not in html
    assert html.count("<em>") == 1  # only the platform's italics


def test_catalog_references_are_formatted_from_fields() -> None:
    module = build_catalog(CONTENT / "honest-module").catalog.get("honest-module")
    sue = module.reference("sue-2007")
    assert sue.type == "article"
    assert sue.title.startswith("Racial microaggressions in everyday life")
    assert "<em>American Psychologist</em>, <em>62</em>(4), 271-286." in sue.text_html
    assert sue.href == "https://doi.org/10.1037/0003-066X.62.4.271"
    carter = module.reference("carter-2007")
    assert carter.text_html.endswith("(landmark study)")
