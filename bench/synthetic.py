"""Synthetic cohorts for the dashboard and export benchmarks, loaded with COPY.

Each trainee works through the four real modules to a random depth: some have
not started, most have done some lessons and the pre-test, some have passed the
post-test after one to three attempts (per-item answers: see ``RESPONSES``),
finished a vignette run or two (with their steps), submitted the evaluation and
received a certificate. The generator is seeded, so two runs load the same rows.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from collections.abc import Iterable, Sequence
from typing import Any

from kaptrain.content import Catalog, Module

START = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
#: Per-item answers (quiz_responses, ~35 per attempt, ~950,000 rows for the three
#: cohorts) cost most of the loading time, and neither the dashboard nor the
#: progress CSV reads them; set True to load them (the attempts CSV reads them).
RESPONSES = False


class Tables:
    """Rows per table, written as COPY text."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Sequence[Any]]] = {}
        self.columns: dict[str, Sequence[str]] = {}
        self.next_id: dict[str, int] = {}

    def add(self, table: str, columns: Sequence[str], row: Sequence[Any]) -> None:
        self.columns.setdefault(table, columns)
        self.rows.setdefault(table, []).append(row)

    def new_id(self, table: str, start: int) -> int:
        value = self.next_id.get(table, start)
        self.next_id[table] = value + 1
        return value


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def copy_rows(conn: Any, table: str, columns: Sequence[str], rows: Iterable) -> None:
    """COPY ``rows`` into ``table`` on a raw psycopg connection."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_text(v) for v in row))
        buffer.write("\n")
    cols = ", ".join(columns)
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())


def _trainee(
    t: Tables, rng: random.Random, uid: int, name: str, catalog: Catalog
) -> None:
    base = START + dt.timedelta(hours=rng.randint(0, 24 * 60))
    depth = rng.random()
    for module in catalog.modules:
        if depth < 0.1 or rng.random() < 0.25:
            continue  # not started
        _module(t, rng, uid, name, module, base, depth)
        base += dt.timedelta(days=rng.randint(1, 10))


def _stamp(module: Module) -> tuple[str, str]:
    return module.version, module.content_hash


def _attempt(
    t: Tables,
    rng: random.Random,
    uid: int,
    module: Module,
    kind: str,
    number: int,
    at: dt.datetime,
    skill: float,
) -> tuple[float, bool]:
    quiz = module.quiz
    version, content_hash = _stamp(module)
    attempt_id = t.new_id("quiz_attempts", 1)
    answers = []
    correct_count = 0
    for position, question in enumerate(quiz.questions):
        right = [o.key for o in question.options if o.correct]
        wrong = [o.key for o in question.options if not o.correct] or right
        correct = rng.random() < skill
        correct_count += correct
        answers.append(
            (
                attempt_id,
                question.id,
                position,
                right if correct else wrong[:1],
                correct,
            )
        )
    total = len(quiz.questions) or 1
    score = 100.0 * correct_count / total
    passed = kind == "post" and score >= quiz.pass_percent
    layout = {
        "questions": [
            {"id": q.id, "options": [o.key for o in q.options]} for q in quiz.questions
        ]
    }
    t.add(
        "quiz_attempts",
        (
            "id user_id module_id quiz_id kind number module_version content_hash "
            "layout started_at submitted_at skipped correct_count item_count score "
            "passed"
        ).split(),
        (
            attempt_id, uid, module.id, quiz.id, kind, number, version, content_hash,
            layout, at, at + dt.timedelta(minutes=rng.randint(4, 20)), False,
            correct_count, total, score, passed,
        ),
    )  # fmt: skip
    if RESPONSES:
        for row in answers:
            t.add(
                "quiz_responses",
                ("attempt_id", "question_id", "position", "answer", "correct"),
                row,
            )
    return score, passed


def _module(
    t: Tables,
    rng: random.Random,
    uid: int,
    name: str,
    module: Module,
    at: dt.datetime,
    depth: float,
) -> None:
    version, content_hash = _stamp(module)
    skill = 0.45 + 0.5 * rng.random()
    if module.quiz.pretest:
        _attempt(t, rng, uid, module, "pre", 1, at, skill - 0.15)
    lessons = list(module.lessons)
    done = round(len(lessons) * min(1.0, depth + rng.random() * 0.5))
    for n, lesson in enumerate(lessons):
        finished = n < done
        t.add(
            "item_progress",
            (
                "id user_id module_id item_id status module_version content_hash "
                "started_at completed_at"
            ).split(),
            (
                t.new_id("item_progress", 1), uid, module.id, lesson.id,
                "done" if finished else "in_progress", version, content_hash,
                at + dt.timedelta(hours=n),
                at + dt.timedelta(hours=n, minutes=25) if finished else None,
            ),
        )  # fmt: skip
        if not finished:
            break
    at += dt.timedelta(hours=len(lessons) + 1)
    for vignette in module.vignettes:
        if rng.random() > depth + 0.2:
            continue
        for number in range(1, rng.randint(1, 2) + 1):
            run_id = t.new_id("vignette_runs", 1)
            node = vignette.start
            steps = 0
            for seq in range(rng.randint(2, 5)):
                t.add(
                    "vignette_steps",
                    ("run_id", "seq", "node_id", "choice_key", "rating", "target",
                     "at"),
                    (run_id, seq + 1, node, "a", "best", node,
                     at + dt.timedelta(minutes=seq)),
                )  # fmt: skip
                steps += 1
            t.add(
                "vignette_runs",
                (
                    "id user_id module_id vignette_id number module_version "
                    "content_hash current_node step_count started_at finished_at "
                    "ending_id last_step_at"
                ).split(),
                (
                    run_id, uid, module.id, vignette.id, number, version,
                    content_hash, node, steps, at, at + dt.timedelta(minutes=12),
                    None, at + dt.timedelta(minutes=steps - 1),
                ),
            )  # fmt: skip
    if done < len(lessons) or depth < 0.4:
        return
    passed = False
    for number in range(1, rng.randint(1, 3) + 1):
        at += dt.timedelta(days=1)
        _score, passed = _attempt(t, rng, uid, module, "post", number, at, skill)
        if passed:
            break
    if not passed or rng.random() < 0.2:
        return
    evaluation = module.evaluation
    if evaluation is not None:
        t.add(
            "evaluation_responses",
            (
                "id user_id module_id evaluation_id module_version content_hash "
                "ratings comments submitted_at"
            ).split(),
            (
                t.new_id("evaluation_responses", 1), uid, module.id, evaluation.id,
                version, content_hash, {"overall": rng.randint(3, 5)},
                {"improve": "More cases, please."}, at + dt.timedelta(hours=1),
            ),
        )  # fmt: skip
    cert_id = t.new_id("certificates", 1)
    t.add(
        "certificates",
        (
            "id code user_id module_id module_version module_title trainee_name "
            "ce_hours format provider_name provider_approval completed_at issued_at"
        ).split(),
        (
            cert_id, f"BENCH-{cert_id:08d}", uid, module.id, version,
            module.title[:300], name, module.ce_hours, "online, self-paced",
            "Bench provider", "", at + dt.timedelta(hours=1),
            at + dt.timedelta(hours=1),
        ),
    )  # fmt: skip


def load_cohorts(
    conn: Any,
    catalog: Catalog,
    sizes: Sequence[int],
    password_hash: str,
    supervisor_id: int,
    seed: int = 11,
) -> dict[int, int]:
    """Create one cohort per size, supervised by ``supervisor_id``, and fill it.

    Returns {size: cohort id}. ``conn`` is a raw psycopg connection; committed here.
    """
    rng = random.Random(seed)
    with conn.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM users")
        next_user = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM cohorts")
        next_cohort = cursor.fetchone()[0] + 1
    t = Tables()
    cohorts = {}
    now = dt.datetime.now(dt.UTC)
    for n, size in enumerate(sizes):
        cohort_id = next_cohort + n
        cohorts[size] = cohort_id
        t.add(
            "cohorts",
            ("id", "name", "invite_code", "created_at"),
            (cohort_id, f"Bench cohort of {size}", f"BENCH-{cohort_id}-{size}", now),
        )
        t.add(
            "cohort_supervisors", ("cohort_id", "user_id"), (cohort_id, supervisor_id)
        )
        for _ in range(size):
            uid = next_user
            next_user += 1
            name = f"Trainee {uid:05d} {rng.choice(['Ade', 'Bo', 'Cy', 'Di'])}"
            t.add(
                "users",
                ("id", "email", "name", "password_hash", "active", "created_at"),
                (uid, f"t{uid}@bench.example.org", name, password_hash, True, now),
            )
            t.add("user_roles", ("user_id", "role"), (uid, "trainee"))
            t.add(
                "cohort_members",
                ("cohort_id", "user_id", "joined_at"),
                (cohort_id, uid, now),
            )
            _trainee(t, rng, uid, name, catalog)
    order = [
        "users", "user_roles", "cohorts", "cohort_supervisors", "cohort_members",
        "item_progress", "quiz_attempts", "quiz_responses", "vignette_runs",
        "vignette_steps", "evaluation_responses", "certificates",
    ]  # fmt: skip
    counts = {}
    for table in order:
        if table in t.rows:
            copy_rows(conn, table, t.columns[table], t.rows[table])
            counts[table] = len(t.rows[table])
    with conn.cursor() as cursor:
        for table in (
            "users",
            "cohorts",
            "item_progress",
            "quiz_attempts",
            "vignette_runs",
            "evaluation_responses",
            "certificates",
        ):
            serial = f"pg_get_serial_sequence('{table}', 'id')"
            top = f"SELECT max(id) FROM {table}"  # noqa: S608 - fixed table names
            cursor.execute(f"SELECT setval({serial}, ({top}))")
        cursor.execute("ANALYZE")
    conn.commit()
    return {"cohorts": cohorts, "rows": counts}
