"""The packet as one PDF, with fpdf2 as the certificate PDF uses it: the bundled
DejaVu font when present (any script), else a core font with text reduced to
Latin-1, so no name or reference can crash it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kaptrain.learning.ce_packet.data import PacketData
from kaptrain.learning.ce_packet.tables import TABLES, Table
from kaptrain.learning.certificates import FONT_PATH, _latin1

#: Tables drawn as "label: value" paragraphs rather than a grid (long text).
_PARAGRAPHS = {"activity.csv", "post_test_key.csv", "references.csv"}


def packet_pdf(data: PacketData) -> bytes:
    """Every table of the packet, each under its heading, in one PDF."""
    from fpdf import FPDF  # imported on first use, as for certificates

    module = data.module
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"CE audit packet: {module.title} {module.version}")
    pdf.set_author(str(data.config.get("PROVIDER_NAME", "")))
    pdf.set_auto_page_break(auto=True, margin=15)
    if FONT_PATH.exists():
        pdf.add_font("DejaVu", "", str(FONT_PATH))
        family, clean = "DejaVu", str
    else:
        family, clean = "Helvetica", _latin1
    pdf.add_page()
    pdf.set_font(family, size=18)
    _text(pdf, 9, clean(f"CE audit packet: {module.title}"))
    pdf.set_font(family, size=10)
    _text(
        pdf,
        5,
        clean(
            f"Version {module.version}. Generated {data.generated_at:%Y-%m-%d %H:%M} "
            "UTC. The CSV files beside this PDF hold the same tables."
        ),
    )
    for name, (title, build) in TABLES.items():
        table = build(data)
        pdf.ln(4)
        pdf.set_font(family, size=14)
        _text(pdf, 7, clean(title))
        pdf.set_font(family, size=8)
        if not table[1]:
            _text(pdf, 5, clean("No records."))
        elif name in _PARAGRAPHS:
            _paragraphs(pdf, table, clean)
        else:
            _grid(pdf, table, clean)
    return bytes(pdf.output())


def _text(pdf: Any, height: float, text: str) -> None:
    """A paragraph across the page; the next one starts below at the margin."""
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def _paragraphs(pdf: Any, table: Table, clean: Callable[[str], str]) -> None:
    """Each row as ``Header: value`` lines (text too long for a grid cell)."""
    header, rows = table
    if header == ["Field", "Value"]:  # a list of facts: one line each
        for label, value in rows:
            _text(pdf, 4, clean(f"{label}: {value}"))
        return
    for row in rows:
        for label, value in zip(header, row, strict=True):
            if value:
                _text(pdf, 4, clean(f"{label}: {value}"))
        pdf.ln(2)


def _grid(pdf: Any, table: Table, clean: Callable[[str], str]) -> None:
    header, rows = table
    from fpdf.fonts import FontFace

    # Headings in the regular face on grey: only the regular DejaVu is bundled.
    style = FontFace(emphasis="", fill_color=(225, 225, 225))
    with pdf.table(
        text_align="LEFT",
        line_height=4,
        first_row_as_headings=True,
        headings_style=style,
    ) as grid:
        for values in [header, *rows]:
            row = grid.row()
            for value in values:
                row.cell(clean(value))
