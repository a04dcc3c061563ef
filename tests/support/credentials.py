"""Helpers for credential tests: a certificate row without playing a module, and
app settings with a signing key of the test's own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from kaptrain.extensions import db
from kaptrain.learning.certificates import new_code
from kaptrain.models import Certificate

BASE_URL = "https://training.example.org"


def credential_config(tmp_path: Path) -> dict[str, Any]:
    return {"BASE_URL": BASE_URL, "SIGNING_KEY_FILE": tmp_path / "signing_key.pem"}


def make_certificate(app: Any, user: Any, **fields: Any) -> Certificate:
    """A certificate for ``user`` as issue_certificate_if_complete would make."""
    moment = dt.datetime(2026, 11, 30, 14, 5, tzinfo=dt.UTC)
    row = {
        "user_id": user.id,
        "module_id": "grounding-skills",
        "module_version": "1.2",
        "module_title": "Grounding skills for trauma-informed care",
        "trainee_name": user.name,
        "ce_hours": Decimal("1.50"),
        "format": "online, self-paced",
        "provider_name": "Example Training Institute",
        "provider_approval": "Approved by the Example Board of Social Work (#123).",
        "completed_at": moment,
        "issued_at": moment,
        "code": new_code(),
        **fields,
    }
    with app.app_context():
        cert = Certificate(**row)
        db.session.add(cert)
        db.session.commit()
        db.session.refresh(cert)
        db.session.expunge(cert)
    return cert
