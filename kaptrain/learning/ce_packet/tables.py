"""The packet's tables: each a header and rows, written as CSV and into the PDF."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from kaptrain.content import Module
from kaptrain.learning.ce_packet.data import PacketData, plain
from kaptrain.learning.certificates import format_hours
from kaptrain.learning.time_report import FAR_BELOW

Table = tuple[list[str], list[list[str]]]
#: A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _when(value: object) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value is not None else ""


def activity(data: PacketData) -> Table:
    """The activity: audience, level, time estimate and how it was computed."""
    module, config, quiz = data.module, data.config, data.module.quiz
    figures = module.figures
    rows = [
        ["Module", module.title],
        ["Module id", module.id],
        ["Version", module.version],
        ["Content hash", module.content_hash],
        ["Provider", config.get("PROVIDER_NAME", "")],
        ["Approval statement", config.get("PROVIDER_APPROVAL", "") or "Not set"],
        ["Commercial support", config.get("COMMERCIAL_SUPPORT", "") or "Not set"],
        ["Conflict-of-interest policy", config.get("COI_POLICY", "") or "Not set"],
        ["Grievance and refund policy", config.get("GRIEVANCE_URL", "") or "Not set"],
        ["Programme contact", config.get("PROVIDER_CONTACT", "") or "Not set"],
        ["Target audience", module.audience or "Not stated in module.md"],
        ["Instructional level", module.level or "Not stated in module.md"],
        ["Format", "Online, self-paced (enduring material)"],
        ["CE hours awarded", format_hours(module.ce_hours)],
        [
            "Estimated minutes (checker)",
            str(figures.estimated_minutes if figures else ""),
        ],
        ["How the estimate was computed", _basis(module)],
        ["Sum of item estimated_minutes", str(module.total_minutes)],
        ["Post-test pass mark", f"{quiz.pass_percent}%"],
        ["Post-test items", str(len(quiz.questions))],
        ["Maximum attempts", str(quiz.max_attempts or "No limit")],
        ["Wait between attempts", f"{quiz.retry_wait_minutes or 0} minutes"],
        ["Minimum time share on lessons", str(config.get("MIN_TIME_SHARE", ""))],
        ["Completions", str(len(data.roster))],
        ["Generated", _when(data.generated_at)],
    ]
    return ["Field", "Value"], rows


def _basis(module: Module) -> str:
    figures = module.figures
    if figures is None or not figures.estimate_basis:
        return "Not available"
    return (
        f"{figures.estimate_basis}: {figures.estimated_minutes} minutes in all "
        "(reading at the average adult silent reading rate, 238 words per minute, "
        "Brysbaert 2019; fixed minutes per activity, see docs/authoring.md)"
    )


def objectives(data: PacketData) -> Table:
    """The objectives and the post-test items that assess each."""
    quiz = data.module.quiz
    rows = []
    for number, text in enumerate(data.module.objectives, start=1):
        items = [q.id for q in quiz.questions if number in q.objectives]
        rows.append([str(number), text, " ".join(items)])
    return ["Number", "Objective", "Post-test items"], rows


def planners(data: PacketData) -> Table:
    """Planners, authors and reviewers with their disclosures."""
    rows = [[p.name, p.credentials, p.role, p.disclosure] for p in data.module.planners]
    return ["Name", "Credentials", "Role", "Disclosure"], rows


def references(data: PacketData) -> Table:
    """The module's references (APA style) with DOI or URL."""
    rows = [[r.key, plain(r.text_html), r.href or ""] for r in data.module.references]
    return ["Key", "Reference", "Link"], rows


def post_test(data: PacketData) -> Table:
    """The post-test with its key."""
    rows = []
    for number, q in enumerate(data.module.quiz.questions, start=1):
        options = " | ".join(
            f"{o.key}) {plain(o.text_html)}{' [key]' if o.correct else ''}"
            for o in q.options
        )
        key = (
            " ".join(o.key for o in q.options)
            if q.type == "order"
            else " ".join(q.correct_keys)
        )
        rows.append(
            [
                str(number),
                q.id,
                q.type,
                q.level,
                " ".join(str(n) for n in q.objectives),
                plain(q.stem_html),
                options,
                key,
                plain(q.explanation_html),
            ]
        )
    header = ["Number", "Id", "Type", "Level", "Objectives", "Stem", "Options"]
    return [*header, "Key", "Explanation"], rows


def item_statistics(data: PacketData) -> Table:
    """Facility and discrimination per item (first attempts, newest version)."""
    report = data.analysis
    header = ["Item", "Responses", "Correct", "Facility", "Discrimination", "Flags"]
    if report is None or report.stats is None:
        return header, []
    rows = [
        [
            s.id,
            str(s.responses),
            str(s.correct),
            "" if s.facility is None else f"{s.facility:.2f}",
            "" if s.discrimination is None else f"{s.discrimination:.2f}",
            " ".join(s.flags),
        ]
        for s in report.stats.items
    ]
    return header, rows


def evaluation(data: PacketData) -> Table:
    """The evaluation's ratings: responses, distribution and mean."""
    rows = [
        [
            r.id,
            r.statement,
            str(r.responses),
            *(str(c) for c in r.counts),
            "" if r.mean is None else f"{r.mean:.2f}",
        ]
        for r in data.ratings
    ]
    header = ["Rating", "Statement", "Responses", "1", "2", "3", "4", "5", "Mean"]
    return header, rows


def roster(data: PacketData) -> Table:
    """Every completion: who, when, score, hours, time on task."""
    rows = []
    for r in data.roster:
        minutes = r.minutes_on_task
        rows.append(
            [
                r.name,
                r.email,
                "Not collected",
                _when(r.started),
                _when(r.completed),
                _pct(r.best_post_score),
                str(r.post_attempts),
                format_hours(r.ce_hours),
                "" if minutes is None else f"{minutes:.1f}",
                "; ".join(r.flagged),
                r.certificate_code,
            ]
        )
    header = ["Name", "E-mail", "Licence", "Started", "Completed", "Best post-test %"]
    return [
        *header,
        "Post-test attempts",
        "CE hours",
        "Minutes on lessons and cases",
        f"Completed under {FAR_BELOW:.0%} of the estimate",
        "Certificate code",
    ], rows


def time_on_task(data: PacketData) -> Table:
    """Each completer's time on each lesson and case."""
    rows = [
        [
            r.name,
            t.title,
            str(t.estimated_minutes),
            _when(t.opened_at),
            _when(t.completed_at),
            "" if t.minutes is None else f"{t.minutes:.1f}",
            "yes" if t.flagged else "",
        ]
        for r in data.roster
        for t in r.times
    ]
    header = ["Name", "Item", "Estimated minutes", "First opened", "Completed"]
    return [*header, "Minutes", "Far below the estimate"], rows


#: CSV file name -> (title in the PDF, table builder), in the packet's order.
TABLES: dict[str, tuple[str, Callable[[PacketData], Table]]] = {
    "activity.csv": ("The activity", activity),
    "planners.csv": ("Planners and disclosures", planners),
    "objectives.csv": ("Objectives", objectives),
    "references.csv": ("References", references),
    "post_test_key.csv": ("Post-test and key", post_test),
    "item_statistics.csv": ("Item statistics", item_statistics),
    "evaluation_summary.csv": ("Evaluation results", evaluation),
    "roster.csv": ("Completion roster", roster),
    "time_on_task.csv": ("Time on task", time_on_task),
}


def _safe(cell: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    return f"'{cell}" if cell.startswith(_FORMULA) else cell


def to_csv(table: Table) -> bytes:
    """The table as UTF-8 CSV (with a byte-order mark, for spreadsheet programs)."""
    header, rows = table
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_safe(c) for c in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
