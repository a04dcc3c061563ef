"""``flask demo``: trainee2 has a completed module of the real course, a
certificate issued through the learner-write path, and a credential that signs
and verifies; running the demo again changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kaptrain.extensions import db
from kaptrain.learning.course import current_catalog
from kaptrain.learning.progress import is_complete, module_progress
from kaptrain.models import Certificate, ItemProgress, User
from tests.support.credentials import credential_config
from tests.support.settings import PASSWORD


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return credential_config(tmp_path)


def test_demo_gives_trainee2_a_real_signed_certificate(
    app: Any, client: Any, runner: Any, login: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("KAPTRAIN_DEMO_PASSWORD", PASSWORD)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "trainee2@example.org completed" in result.output
    assert "Created the credential signing key" in result.output
    with app.app_context():
        user = db.session.execute(
            select(User).where(User.email == "trainee2@example.org")
        ).scalar_one()
        cert = db.session.execute(
            select(Certificate).where(Certificate.user_id == user.id)
        ).scalar_one()
        module = current_catalog().get(cert.module_id)
        assert is_complete(module, module_progress(user.id, module))
        # Each lesson took at least its estimated minutes (back-dated honestly).
        for row in db.session.execute(
            select(ItemProgress).where(ItemProgress.user_id == user.id)
        ).scalars():
            lesson = next(i for i in module.lessons if i.id == row.item_id)
            spent = (row.completed_at - row.started_at).total_seconds() / 60
            assert spent >= lesson.estimated_minutes
        code = cert.code
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and code in again.output
    assert "Created the credential signing key" not in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    login("trainee2@example.org", PASSWORD)
    credential = client.get(f"/certificates/{code}.json").get_json()
    assert credential["credentialSubject"]["achievement"]["name"] == cert.module_title
    page = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "the signature is genuine" in page
