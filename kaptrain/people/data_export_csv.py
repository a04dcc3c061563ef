"""A person's data export laid out as a ZIP of CSV files, one per table.

The input is :func:`kaptrain.people.data_export.export_user_data`'s dict; the ZIP
also carries that dict in full as ``data.json``. Cells that a spreadsheet would
run as a formula are defused with a leading apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

# Characters that make a spreadsheet treat a cell as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _flatten(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """One list of flat rows per table; nested children get their parent's id."""
    tables: dict[str, list[dict[str, Any]]] = {
        "profile": [{**data["profile"], "roles": " ".join(data["roles"])}]
    }
    children = {
        "quiz_attempts": ("responses", "quiz_responses", "attempt_id"),
        "vignette_runs": ("steps", "vignette_steps", "run_id"),
        "journal_entries": ("comments", "journal_comments_received", "entry_id"),
    }
    for key, value in data.items():
        if not isinstance(value, list) or key == "roles":
            continue
        rows = []
        nested = children.get(key)
        for item in value:
            row = dict(item)
            if nested:
                child_key, table, parent = nested
                for child in row.pop(child_key):
                    tables.setdefault(table, []).append({parent: row["id"], **child})
            rows.append(row)
        tables[key] = rows
        if nested:
            tables.setdefault(nested[1], [])
    return tables


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_zip(data: dict[str, Any]) -> bytes:
    """The export as a ZIP of CSV files, one per table, plus the full JSON."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in _flatten(data).items():
            text = io.StringIO()
            columns: list[str] = []
            for row in rows:
                columns.extend(k for k in row if k not in columns)
            writer = csv.DictWriter(text, fieldnames=columns or ["(none)"])
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _cell(v) for k, v in row.items()})
            archive.writestr(f"{name}.csv", text.getvalue())
        archive.writestr(
            "data.json", json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
        )
    return buffer.getvalue()
