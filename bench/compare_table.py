"""The Markdown tables of ``bench/compare.py`` (results JSON -> text)."""

from __future__ import annotations

import statistics
from typing import Any

PAGES = ("lesson", "module", "catalog", "progress", "session")
DASH = ("dashboard_1000", "dashboard_5000", "csv_1000", "csv_5000")


def _pct(value: float) -> str:
    return f"{value * 100:+.1f}%"


def _pairs(names: list[str]) -> list[tuple[str, str]]:
    """(new, old), then (new, X) for every other tree X: what new gains over it
    (for a tree that lacks one optimisation, what that optimisation is worth)."""
    return [("new", "old")] + [("new", n) for n in names if n not in {"new", "old"}]


def _share(samples: list[dict[str, float]], page: str) -> float:
    """Median over processes of ceiling CPU ÷ page CPU (each process's own ratio:
    a process that ran slower for everything cancels out)."""
    return statistics.median(s["ceiling"] / s[page] for s in samples)


def _pages(
    kind: str,
    by_tree: dict[str, Any],
    samples: dict[str, list[dict[str, float]]],
) -> list[str]:
    names = list(by_tree)
    head = "| page | " + " | ".join(f"{n} CPU ms (share)" for n in names)
    head += "".join(f" | {a} vs {b}" for a, b in _pairs(names)) + " |"
    lines = [f"### {kind}", "", head, "|" + "---|" * (head.count("|") - 1)]
    for page in ("ceiling", *PAGES):
        cells = []
        for name in names:
            cpu = by_tree[name][page]
            cells.append(f"{cpu:.3f} ({_share(samples[name], page):.0%})")
        row = f"| {page} | " + " | ".join(cells)
        for name, base in _pairs(names):
            # Share ratio: > 0 means this tree's page is a larger share of
            # its own ceiling (cheaper) than the base's.
            mine = _share(samples[name], page)
            theirs = _share(samples[base], page)
            row += f" | {_pct(mine / theirs - 1)}"
        lines.append(row + " |")
    return [*lines, ""]


def _cell(value: dict[str, float]) -> str:
    return f"{value['cpu_ms']:.1f} ({value['wall_ms']:.0f}, {value['queries']:.0f})"


def _dashboard(by_tree: dict[str, Any]) -> list[str]:
    names = list(by_tree)
    head = "| measure | " + " | ".join(f"{n} CPU ms (wall, queries)" for n in names)
    head += "".join(f" | {a} vs {b}" for a, b in _pairs(names)) + " |"
    lines = ["### dashboard and CSV (PostgreSQL)", "", head]
    lines.append("|" + "---|" * (head.count("|") - 1))
    for measure in DASH:
        cells = [_cell(by_tree[n][measure]) for n in names]
        row = f"| {measure.replace('_', ' at ')} | " + " | ".join(cells)
        for name, base in _pairs(names):
            # > 0: this tree spends less CPU than the base (faster).
            ratio = by_tree[base][measure]["cpu_ms"] / by_tree[name][measure]["cpu_ms"]
            row += f" | {_pct(ratio - 1)}"
        lines.append(row + " |")
    return [*lines, ""]


def render(results: dict[str, Any]) -> str:
    trees = results["trees"]
    lines = [
        "## bench-compare",
        "",
        "CPU time of the serving process per request (user + system,"
        " `time.process_time`), median of "
        f"{results['repeat']} processes per tree. Share = ceiling CPU ÷ page CPU."
        " `X vs Y` > 0: X is cheaper than Y (a larger share, or less CPU)."
        " A page's share is the median over processes of each process's own"
        " ceiling ÷ page ratio.",
        "",
        "| tree | commit |",
        "|---|---|",
        *(f"| {name} | {sha} |" for name, sha in trees.items()),
        "",
    ]
    for kind, by_tree in results["results"].items():
        if not by_tree:
            continue
        if kind == "dashboard":
            lines += _dashboard(by_tree)
        else:
            lines += _pages(kind, by_tree, results["samples"][kind])
    return "\n".join(lines)
