"""The CE audit packet (issue 16): the CLI writes a PDF and CSVs with what an
auditor reads; admins (only) download the same as a zip."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import AuditEvent, ItemOpen
from tests import test_supervise_support as support
from tests.test_supervise_support import T0, World

pytestmark = pytest.mark.content("complete-module")
world = support.world
MODULE = "complete-module"
FILES = {
    "packet.pdf",
    "activity.csv",
    "planners.csv",
    "objectives.csv",
    "references.csv",
    "post_test_key.csv",
    "item_statistics.csv",
    "evaluation_summary.csv",
    "roster.csv",
    "time_on_task.csv",
    "sample_certificate.pdf",
}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"PROVIDER_APPROVAL": "Approved by the Test Board, no. 123"}


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _write(runner: Any, out: Path) -> Any:
    return runner.invoke(args=["ce", "packet", MODULE, "--out", str(out)])


def test_cli_writes_the_packet(
    app: Any, runner: Any, world: World, tmp_path: Path
) -> None:
    with app.app_context():  # the trainee opened lesson 1 at T0, done at 0:30
        db.session.add(
            ItemOpen(
                user_id=world.trainee.id,
                module_id=MODULE,
                item_id="defining-racial-trauma",
                part="",
                opened_at=T0,
            )
        )
        db.session.commit()
    out = tmp_path / "packet"
    result = _write(runner, out)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == FILES
    activity = dict(_rows(out / "activity.csv")[1:])
    assert activity["Target audience"] == "Licensed therapists and supervised trainees"
    assert activity["Instructional level"] == "Introductory"
    assert activity["Post-test pass mark"] == "80%"
    assert activity["Approval statement"] == "Approved by the Test Board, no. 123"
    assert "words at 238 per minute" in activity["How the estimate was computed"]
    [header, *keys] = _rows(out / "post_test_key.csv")
    assert header[-2:] == ["Key", "Explanation"] and len(keys) == 6
    first = next(r for r in keys if r[1] == "rbts-injury")
    assert first[7] == "b" and "An injury, including harm" in first[6]
    [_h, *roster] = _rows(out / "roster.csv")
    [(name, email, licence, _s, completed, score, attempts, hours, minutes, *_r)] = [
        tuple(r) for r in roster
    ]
    assert (name, email, licence) == ("x", world.trainee.email, "Not collected")
    assert completed == "2025-03-02 11:00 UTC"
    assert (score, attempts, hours) == ("83.3", "1", "1")
    assert minutes == "30.0"  # lesson 1 only: the others have no first open
    times = _rows(out / "time_on_task.csv")
    assert [r[5] for r in times[1:]] == ["30.0", "", ""]  # two lessons, a case
    [_h, *stats] = _rows(out / "item_statistics.csv")
    assert {r[0] for r in stats} == {
        "rbts-injury",
        "micro-kinds",
        "injury-not-disorder",
        "opening-steps",
        "default-single",
        "second-single",
    }
    micro = next(r for r in stats if r[0] == "micro-kinds")
    # Every trainee's first post-test counts (Tara's and the outsider's): both wrong.
    assert (micro[1], micro[2]) == ("2", "0")
    ratings = {r[0]: r for r in _rows(out / "evaluation_summary.csv")[1:]}
    # Two evaluations (Tara's and the outsider's), each rating this statement 4.
    assert ratings["objectives-met"][2:8] == ["2", "0", "0", "0", "2", "0"]
    assert ratings["relevant"][-1] == "5.00"


def test_packet_pdf_and_sample_certificate_read_as_text(
    runner: Any, world: World, tmp_path: Path
) -> None:
    out = tmp_path / "packet"
    assert _write(runner, out).exit_code == 0
    text = _pdf_text((out / "packet.pdf").read_bytes())
    for heading in ("The activity", "Post-test and key", "Item statistics"):
        assert heading in text
    compact = "".join(text.split())  # table cells wrap long words
    assert "Completionroster" in compact and world.trainee.email in compact
    assert "Licensedtherapistsandsupervisedtrainees" in compact
    sample = _pdf_text((out / "sample_certificate.pdf").read_bytes())
    assert "Sample Trainee" in sample
    assert "Approved by the Test Board, no. 123" in sample


def test_cli_unknown_module_says_which_exist(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["ce", "packet", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert 'There is no module "nope" in the catalog. Modules: complete-module.' in (
        result.output
    )


def test_cli_unwritable_folder_is_a_message(runner: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = _write(runner, blocker / "inside")
    assert result.exit_code == 1 and "Cannot write the packet into" in result.output


def test_admin_downloads_the_zip_and_it_is_audited(
    app: Any, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.admin)
    page = client.get("/admin/ce").get_data(as_text=True)
    assert f'href="/admin/ce/{MODULE}.zip"' in page
    response = client.get(f"/admin/ce/{MODULE}.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    folder = f"ce-packet-{MODULE}-1.0.0"
    assert {n.split("/", 1)[1] for n in archive.namelist()} == FILES
    assert {n.split("/", 1)[0] for n in archive.namelist()} == {folder}
    roster = archive.read(f"{folder}/roster.csv").decode("utf-8-sig")
    assert world.trainee.email in roster
    with app.app_context():
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "export")
        ).scalar_one()
        assert event.detail == f"ce packet {MODULE}"
        assert event.actor_id == world.admin.id
    assert client.get("/admin/ce/nope.zip").status_code == 404


@pytest.mark.parametrize("role", ["supervisor", "trainee", "author"])
def test_only_admins_download_packets(
    client: FlaskClient, login: Callable[..., Any], world: World, role: str
) -> None:
    login(getattr(world, role))
    response = client.get(f"/admin/ce/{MODULE}.zip")
    assert response.status_code == 403
    assert response.mimetype != "application/zip"


def test_anonymous_is_sent_to_sign_in(client: FlaskClient, world: World) -> None:
    response = client.get(f"/admin/ce/{MODULE}.zip")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
