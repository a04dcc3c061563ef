"""The privacy service: export holds every kind of record; deletion leaves no trace.

Every kind of record is created directly with the models, so these tests do not
depend on the learn or supervise views.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import JSON, String, Text, func, select, text

from kaptrain.extensions import db
from kaptrain.models import (
    AuditEvent,
    Certificate,
    Cohort,
    CohortMember,
    EvaluationResponse,
    ItemOpen,
    ItemProgress,
    JournalComment,
    JournalEntry,
    LoginSession,
    PasswordResetLink,
    QuizAttempt,
    QuizResponse,
    User,
    VignetteRun,
    VignetteStep,
    XapiStatement,
    cohort_supervisors,
    utcnow,
)
from kaptrain.people import audit, data_export, data_export_csv, privacy
from tests.support.database import database_backend
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.content(None)

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
EMAIL = "deleteme@example.org"
NAME = "Quillon Zephyrine"


def _version() -> dict[str, str]:
    return {"module_version": "1.0.0", "content_hash": "h" * 64}


def populate(app: Flask, make_user: Any, make_cohort: Any) -> dict[str, int]:
    """One of each kind of record about the person, plus others' records near them."""
    peer_supervisor = make_user("supervisor")
    admin = make_user("admin")
    cohort = make_cohort(supervisors=[peer_supervisor])
    person = make_user(("trainee", "supervisor"), email=EMAIL, name=NAME, cohort=cohort)
    supervised = make_cohort(supervisors=[person])
    other = make_user("trainee", cohort=supervised)
    now = utcnow()
    with app.app_context():
        me = db.session.get(User, person.id)
        db.session.add_all(
            [
                ItemProgress(
                    user_id=me.id, module_id="m", item_id="lesson-1", **_version()
                ),
                EvaluationResponse(
                    user_id=me.id,
                    module_id="m",
                    evaluation_id="course-evaluation",
                    ratings={"relevant": 5},
                    comments={"improve": "More cases"},
                    **_version(),
                ),
                Certificate(
                    code="CERT-PRIV-1",
                    user_id=me.id,
                    module_id="m",
                    module_version="1.0.0",
                    module_title="Module",
                    trainee_name=NAME,
                    ce_hours=Decimal("1.50"),
                    provider_name="Provider",
                    completed_at=now,
                ),
                LoginSession(
                    token="t" * 40,
                    user_id=me.id,
                    expires_at=now + dt.timedelta(hours=1),
                ),
                PasswordResetLink(
                    token_hash="a" * 64,
                    user_id=me.id,
                    issued_by_id=admin.id,
                    expires_at=now + dt.timedelta(hours=1),
                ),
                # A link the person issued, as a supervisor, for someone else.
                PasswordResetLink(
                    token_hash="b" * 64,
                    user_id=other.id,
                    issued_by_id=me.id,
                    expires_at=now + dt.timedelta(hours=1),
                ),
            ]
        )
        attempt = QuizAttempt(
            user_id=me.id,
            module_id="m",
            quiz_id="post-test",
            kind="post",
            number=1,
            layout={"order": ["q1"]},
            submitted_at=now,
            score=100.0,
            **_version(),
        )
        attempt.responses = [
            QuizResponse(question_id="q1", position=0, answer=["b"], correct=True)
        ]
        run = VignetteRun(
            user_id=me.id,
            module_id="m",
            vignette_id="first-session",
            number=1,
            current_node="close",
            **_version(),
        )
        run.steps = [
            VignetteStep(seq=1, node_id="arrival", choice_key="a", target="agenda")
        ]
        db.session.add_all([attempt, run])
        db.session.add_all(
            [
                ItemOpen(user_id=me.id, module_id="m", item_id="lesson-1"),
                XapiStatement(
                    id="00000000-0000-5000-8000-000000000001",
                    kind="lesson_completed",
                    user_id=me.id,
                    statement={
                        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}
                    },
                ),
            ]
        )
        db.session.flush()
        private = JournalEntry(
            user_id=me.id, body="A private thought", shared=False, prompt="Notice"
        )
        shared = JournalEntry(
            user_id=me.id,
            run_id=run.id,
            node_id="noticing",
            module_id="m",
            vignette_id="first-session",
            body="A shared thought",
            shared=True,
        )
        others_entry = JournalEntry(user_id=other.id, body="Peer entry", shared=True)
        db.session.add_all([private, shared, others_entry])
        db.session.flush()
        db.session.add_all(
            [
                JournalComment(
                    entry_id=shared.id, author_id=peer_supervisor.id, body="Good"
                ),
                JournalComment(
                    entry_id=others_entry.id, author_id=me.id, body="Thank you"
                ),
            ]
        )
        audit.record("login", actor=me, subject=me)
        audit.record("role_changed", actor=db.session.get(User, admin.id), subject=me)
        audit.record("login_failed", subject_label=EMAIL, detail="unknown")
        audit.record("export", detail=f"cohort export named {EMAIL} among others")
        audit.record("login", actor=db.session.get(User, other.id))
        db.session.commit()
        return {
            "user": me.id,
            "other": other.id,
            "admin": admin.id,
            "peer_supervisor": peer_supervisor.id,
            "cohort": cohort.id,
            "supervised": supervised.id,
            "others_entry": others_entry.id,
        }


@pytest.fixture
def world(app: Flask, make_user: Any, make_cohort: Any) -> dict[str, int]:
    return populate(app, make_user, make_cohort)


def _delete(app: Flask, user_id: int) -> str:
    with app.app_context():
        return privacy.delete_account(db.session.get(User, user_id))


# ------------------------------------------------------------------- export


EXPECTED_SECTIONS = (
    "cohort_memberships",
    "supervised_cohorts",
    "item_progress",
    "item_opens",
    "quiz_attempts",
    "vignette_runs",
    "journal_entries",
    "journal_comments_written",
    "evaluations",
    "certificates",
    "xapi_statements",
    "login_sessions",
    "password_reset_links",
    "audit_events",
)


@pytest.mark.parametrize("section", EXPECTED_SECTIONS)
def test_export_holds_every_kind_of_record(
    app: Flask, world: dict[str, int], section: str
) -> None:
    with app.app_context():
        data = data_export.export_user_data(world["user"])
    assert data[section], f"{section} is empty"


def test_export_nests_responses_steps_and_comments(
    app: Flask, world: dict[str, int]
) -> None:
    with app.app_context():
        data = data_export.export_user_data(world["user"])
    assert data["quiz_attempts"][0]["responses"][0]["answer"] == ["b"]
    assert data["vignette_runs"][0]["steps"][0]["node_id"] == "arrival"
    bodies = {entry["body"] for entry in data["journal_entries"]}
    assert bodies == {"A private thought", "A shared thought"}
    shared = next(e for e in data["journal_entries"] if e["shared"])
    assert shared["comments"][0]["body"] == "Good"
    assert shared["comments"][0]["author_name"]
    assert data["journal_comments_written"][0]["body"] == "Thank you"
    assert data["roles"] == ["supervisor", "trainee"]
    assert data["profile"]["email"] == EMAIL


def test_export_has_no_secrets(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        data = data_export.export_user_data(world["user"])
        password_hash = db.session.get(User, world["user"]).password_hash
    dumped = json.dumps(data)
    assert "password_hash" not in dumped
    assert password_hash not in dumped
    assert "t" * 40 not in dumped  # the login session token
    assert "a" * 64 not in dumped  # the reset link's token hash
    assert "token" not in data["login_sessions"][0]


def test_export_is_json_with_utc_iso_timestamps(
    app: Flask, world: dict[str, int]
) -> None:
    with app.app_context():
        data = json.loads(json.dumps(data_export.export_user_data(world["user"])))
    stamps = [
        data["profile"]["created_at"],
        data["exported_at"],
        data["certificates"][0]["completed_at"],
        data["login_sessions"][0]["expires_at"],
        data["vignette_runs"][0]["steps"][0]["at"],
    ]
    assert all(ISO_UTC.match(stamp) for stamp in stamps), stamps
    assert data["certificates"][0]["ce_hours"] == "1.50"


def test_export_includes_only_own_audit_events(
    app: Flask, world: dict[str, int]
) -> None:
    with app.app_context():
        events = data_export.export_user_data(world["user"])["audit_events"]
    actions = sorted(event["action"] for event in events)
    assert actions == ["export", "login", "login_failed", "role_changed"]


def test_export_zip_has_one_csv_per_table(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        archive = zipfile.ZipFile(
            BytesIO(
                data_export_csv.export_zip(data_export.export_user_data(world["user"]))
            )
        )
    names = set(archive.namelist())
    for section in (*EXPECTED_SECTIONS, "profile", "quiz_responses", "vignette_steps"):
        assert f"{section}.csv" in names
    assert "journal_comments_received.csv" in names
    assert "data.json" in names
    profile = archive.read("profile.csv").decode()
    assert EMAIL in profile and "password_hash" not in profile
    assert "A private thought" in archive.read("journal_entries.csv").decode()


def test_export_zip_neutralises_spreadsheet_formulas() -> None:
    data = {"profile": {"name": "=HYPERLINK(1)"}, "roles": [], "notes": []}
    archive = zipfile.ZipFile(BytesIO(data_export_csv.export_zip(data)))
    assert "'=HYPERLINK(1)" in archive.read("profile.csv").decode()


# ----------------------------------------------------------------- deletion


def _references_to(app: Flask, user_id: int, needles: tuple[str, ...]) -> list[str]:
    """Every cell in every table that points at the user or contains a needle."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            user_columns = {
                column.name
                for column in table.columns
                if any(fk.column.table.name == "users" for fk in column.foreign_keys)
            }
            if table.name == "users":
                user_columns.add("id")
            if table.name == "audit_events":
                user_columns |= {"actor_id", "subject_id"}
            text_columns = {
                column.name
                for column in table.columns
                if isinstance(column.type, String | Text | JSON)
            }
            for row in db.session.execute(table.select()).mappings():
                for name in user_columns:
                    if row[name] == user_id:
                        found.append(f"{table.name}.{name}={user_id}")
                for name in text_columns:
                    cell = json.dumps(row[name]) if row[name] is not None else ""
                    for needle in needles:
                        if needle.lower() in cell.lower():
                            found.append(f"{table.name}.{name} contains {needle!r}")
    return found


def test_nothing_references_the_user_after_deletion(
    app: Flask, world: dict[str, int]
) -> None:
    assert _references_to(app, world["user"], (EMAIL, NAME))  # the check can see
    _delete(app, world["user"])
    assert _references_to(app, world["user"], (EMAIL, NAME)) == []


def test_foreign_keys_are_enforced(app: Flask) -> None:
    with app.app_context():
        if database_backend() == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        else:
            assert db.engine.dialect.name == "postgresql"


@pytest.mark.parametrize(
    "model",
    [
        ItemProgress,
        QuizAttempt,
        VignetteRun,
        EvaluationResponse,
        Certificate,
        LoginSession,
        CohortMember,
    ],
)
def test_deletion_cascades_to_learner_tables(
    app: Flask, world: dict[str, int], model: type
) -> None:
    _delete(app, world["user"])
    with app.app_context():
        rows = db.session.execute(
            select(func.count())
            .select_from(model)
            .where(model.user_id == world["user"])
        ).scalar()
    assert rows == 0


def test_deletion_removes_children_of_deleted_records(
    app: Flask, world: dict[str, int]
) -> None:
    _delete(app, world["user"])
    with app.app_context():
        counts = {
            model.__tablename__: db.session.execute(
                select(func.count()).select_from(model)
            ).scalar()
            for model in (QuizResponse, VignetteStep, JournalEntry)
        }
        supervising = db.session.execute(
            select(func.count())
            .select_from(cohort_supervisors)
            .where(cohort_supervisors.c.user_id == world["user"])
        ).scalar()
    assert counts == {"quiz_responses": 0, "vignette_steps": 0, "journal_entries": 1}
    assert supervising == 0


def test_comments_written_as_supervisor_stay_without_author(
    app: Flask, world: dict[str, int]
) -> None:
    _delete(app, world["user"])
    with app.app_context():
        comments = db.session.execute(select(JournalComment)).scalars().all()
        link = db.session.execute(
            select(PasswordResetLink).where(PasswordResetLink.user_id == world["other"])
        ).scalar_one()
    assert [(c.entry_id, c.author_id, c.body) for c in comments] == [
        (world["others_entry"], None, "Thank you")
    ]
    assert link.issued_by_id is None


def test_deletion_keeps_cohorts_and_other_people(
    app: Flask, world: dict[str, int]
) -> None:
    _delete(app, world["user"])
    with app.app_context():
        cohorts = db.session.execute(select(func.count()).select_from(Cohort)).scalar()
        others = db.session.execute(select(func.count()).select_from(User)).scalar()
    assert cohorts == 2
    assert others == 3


def test_audit_events_are_anonymised_not_removed(
    app: Flask, world: dict[str, int]
) -> None:
    with app.app_context():
        before = db.session.execute(
            select(func.count()).select_from(AuditEvent)
        ).scalar()
    label = _delete(app, world["user"])
    with app.app_context():
        events = db.session.execute(select(AuditEvent)).scalars().all()
    assert len(events) == before + 1
    assert re.fullmatch(r"deleted user #[0-9a-f]{8}", label)
    assert sum(label in (e.actor_label, e.subject_label) for e in events) >= 4
    export = next(e for e in events if e.action == "export")
    assert export.detail == f"cohort export named {label} among others"
    others_login = [e for e in events if e.actor_id == world["other"]]
    assert others_login and others_login[0].actor_label != label


def test_deletion_event_holds_nothing_identifying(
    app: Flask, world: dict[str, int]
) -> None:
    label = _delete(app, world["user"])
    with app.app_context():
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "account_deleted")
        ).scalar_one()
    assert event.actor_id is None and event.subject_id is None
    assert event.actor_label == "" and event.subject_label == label
    assert event.ip == "" and EMAIL not in event.detail


def test_last_admin_cannot_be_deleted(app: Flask, make_user: Any) -> None:
    admin = make_user("admin")
    with app.app_context():
        with pytest.raises(privacy.PrivacyError, match="only active administrator"):
            privacy.delete_account(db.session.get(User, admin.id))
        assert db.session.get(User, admin.id) is not None


def test_an_admin_can_be_deleted_when_another_remains(
    app: Flask, make_user: Any
) -> None:
    admin = make_user("admin")
    make_user("admin")
    _delete(app, admin.id)
    with app.app_context():
        assert db.session.get(User, admin.id) is None


def test_inactive_admin_does_not_count_as_remaining(app: Flask, make_user: Any) -> None:
    admin = make_user("admin")
    make_user("admin", active=False)
    with app.app_context():
        with pytest.raises(privacy.PrivacyError):
            privacy.delete_account(db.session.get(User, admin.id))


@pytest.mark.parametrize(
    ("password", "typed", "field"),
    [
        ("wrong-password-entirely", "DELETE", "password"),
        (None, "delete", "confirm"),
        (None, "", "confirm"),
    ],
)
def test_check_deletion_refuses(
    app: Flask, make_user: Any, password: str | None, typed: str, field: str
) -> None:
    user = make_user()
    with app.app_context():
        with pytest.raises(privacy.PrivacyError) as info:
            privacy.check_deletion(
                db.session.get(User, user.id), password or PASSWORD, typed
            )
    assert info.value.field == field
