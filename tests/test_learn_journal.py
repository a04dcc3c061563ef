"""The journal: private by default, share switch, edit, delete, downloads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import JOURNAL_MAX, AuditEvent, JournalEntry
from tests.support.learn import MODULE_ID

pytestmark = pytest.mark.content("complete-module")


@pytest.fixture
def trainee(make_user: Any, login: Any) -> Any:
    user = make_user(name="Ana <Ruiz>")
    login(user)
    return user


def _new(client: Any, body: str = "First thought", **extra: str) -> Any:
    return client.post("/journal", data={"module_id": MODULE_ID, "body": body, **extra})


def _entries(app: Any) -> list[JournalEntry]:
    with app.app_context():
        rows = list(db.session.execute(select(JournalEntry)).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows


def test_free_entry_is_private_by_default(app: Any, client: Any, trainee: Any) -> None:
    assert _new(client).status_code == 302
    [entry] = _entries(app)
    assert entry.shared is False
    assert entry.module_id == MODULE_ID
    page = client.get("/journal").get_data(as_text=True)
    assert "Private" in page
    assert "Share with my supervisor" in page


def test_entry_can_be_shared_when_written(app: Any, client: Any, trainee: Any) -> None:
    _new(client, shared="y")
    assert _entries(app)[0].shared is True


def test_share_switch_turns_sharing_on_and_off(
    app: Any, client: Any, trainee: Any
) -> None:
    _new(client)
    entry_id = _entries(app)[0].id
    client.post(f"/journal/{entry_id}/share", data={"shared": "1"})
    assert _entries(app)[0].shared is True
    assert "Shared with your supervisor" in client.get("/journal").get_data(
        as_text=True
    )
    client.post(f"/journal/{entry_id}/share", data={"shared": "0"})
    assert _entries(app)[0].shared is False


def test_text_is_escaped_with_line_breaks_kept(client: Any, trainee: Any) -> None:
    _new(client, "<script>alert(1)</script>\n**not bold**\n# not a heading")
    page = client.get("/journal").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert (
        '<div class="usertext">&lt;script&gt;alert(1)&lt;/script&gt;\n'
        "**not bold**\n# not a heading</div>"
    ) in page
    assert "<strong>not bold</strong>" not in page


def test_edit_changes_text_and_sharing(app: Any, client: Any, trainee: Any) -> None:
    _new(client)
    entry_id = _entries(app)[0].id
    form = client.get(f"/journal/{entry_id}/edit").get_data(as_text=True)
    assert "First thought" in form
    client.post(f"/journal/{entry_id}/edit", data={"body": "Second thought"})
    [entry] = _entries(app)
    assert entry.body == "Second thought"
    assert entry.updated_at >= entry.created_at


def test_delete_asks_then_deletes(app: Any, client: Any, trainee: Any) -> None:
    _new(client)
    entry_id = _entries(app)[0].id
    confirm = client.get(f"/journal/{entry_id}/delete").get_data(as_text=True)
    assert "Delete this journal entry?" in confirm
    assert len(_entries(app)) == 1
    client.post(f"/journal/{entry_id}/delete")
    assert _entries(app) == []


@pytest.mark.parametrize("route", ["new", "edit"])
def test_too_long_entry_is_refused_and_the_text_stays(
    app: Any, client: Any, trainee: Any, route: str
) -> None:
    text = "y" * (JOURNAL_MAX + 1)
    if route == "new":
        response = _new(client, text)
    else:
        _new(client)
        entry_id = _entries(app)[0].id
        response = client.post(f"/journal/{entry_id}/edit", data={"body": text})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Shorten your entry to 10,000 characters or fewer" in page
    assert text in page
    assert all(e.body != text for e in _entries(app))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"module_id": MODULE_ID, "body": "   "}, "Write something before saving."),
        ({"module_id": "", "body": "x"}, "Choose the module this entry is about."),
        ({"module_id": "nope", "body": "x"}, "Not a valid choice"),
    ],
)
def test_invalid_entry_gets_a_message(
    app: Any, client: Any, trainee: Any, data: dict[str, str], message: str
) -> None:
    page = client.post("/journal", data=data).get_data(as_text=True)
    assert message in page
    assert _entries(app) == []


def test_markdown_download_quotes_the_text(app: Any, client: Any, trainee: Any) -> None:
    _new(client, "# my heading\nsecond line")
    response = client.get("/journal/journal.md")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert "> # my heading\n> second line" in text
    assert "Racial trauma: a complete example module" in text
    assert "private" in text


def test_json_download_holds_every_entry(app: Any, client: Any, trainee: Any) -> None:
    _new(client, "one")
    _new(client, "two", shared="y")
    response = client.get("/journal/journal.json")
    data = json.loads(response.get_data(as_text=True))
    assert data["trainee"] == "Ana <Ruiz>"
    assert sorted((e["body"], e["shared"]) for e in data["entries"]) == [
        ("one", False),
        ("two", True),
    ]
    with app.app_context():
        events = db.session.execute(select(AuditEvent.action, AuditEvent.detail)).all()
    assert ("data_downloaded", "journal.json") in events


def test_unknown_download_format_is_404(client: Any, trainee: Any) -> None:
    assert client.get("/journal/journal.exe").status_code == 404


def test_another_trainees_entry_is_not_found(
    app: Any, client: Any, make_user: Any, login: Any
) -> None:
    login(make_user())
    _new(client, "mine")
    entry_id = _entries(app)[0].id
    client.post("/logout")
    login(make_user())
    assert client.get(f"/journal/{entry_id}/edit").status_code == 404
    assert (
        client.post(f"/journal/{entry_id}/share", data={"shared": "1"}).status_code
        == 404
    )
    assert client.post(f"/journal/{entry_id}/delete").status_code == 404
    assert "mine" not in client.get("/journal").get_data(as_text=True)
    assert "mine" not in client.get("/journal/journal.json").get_data(as_text=True)
    [entry] = _entries(app)
    assert entry.shared is False


def test_journal_pages_are_not_cached(client: Any, trainee: Any) -> None:
    assert client.get("/journal").headers["Cache-Control"] == "no-store"


def test_module_page_links_to_a_new_entry_for_that_module(
    client: Any, trainee: Any
) -> None:
    page = client.get(f"/journal?module={MODULE_ID}").get_data(as_text=True)
    assert f'<option selected value="{MODULE_ID}">' in page or (
        f'value="{MODULE_ID}" selected' in page
    )
