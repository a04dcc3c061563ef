"""The shared dashboard database of ``bench/compare.py``: synthetic cohorts of
1,000 and 5,000 trainees and one supervisor per measuring process (a TOTP code
is accepted once, so two processes must not sign in as the same person within
one 30-second step). Built with this tree's code; every tree reads it (the
schema is the same, migrations permitting)."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import insert, select

from .synthetic import load_cohorts

SIZES = (1000, 5000)


def setup(count: int, password: str) -> dict[str, Any]:
    from kaptrain import create_app
    from kaptrain.extensions import db
    from kaptrain.learning.course import current_catalog
    from kaptrain.models import SUPERVISOR, TotpCredential, cohort_supervisors
    from kaptrain.people import accounts, one_time_codes

    assert os.environ.get("KAPTRAIN_DATABASE_URL", "").startswith("postgresql")
    app = create_app({"RATELIMIT_ENABLED": False})
    supervisors = []
    with app.app_context():
        for n in range(count):
            email = f"bench-supervisor-{n}@example.org"
            user = accounts.create_user(
                email, f"Supervisor {n}", password, (SUPERVISOR,)
            )
            secret = one_time_codes.new_secret()
            db.session.add(TotpCredential(user_id=user.id, secret=secret))
            db.session.commit()
            supervisors.append((email, secret, user.id, user.password_hash))
        raw = db.engine.raw_connection()
        try:
            loaded = load_cohorts(
                raw.driver_connection,
                current_catalog(),
                SIZES,
                supervisors[0][3],
                supervisors[0][2],
            )
        finally:
            raw.close()
        cohorts = list(loaded["cohorts"].values())
        extra = [
            {"cohort_id": c, "user_id": s[2]} for c in cohorts for s in supervisors[1:]
        ]
        if extra:
            db.session.execute(insert(cohort_supervisors), extra)
        db.session.commit()
        assert db.session.scalar(
            select(db.func.count()).select_from(cohort_supervisors)
        )
    return {
        "supervisors": [(email, secret) for email, secret, _id, _hash in supervisors],
        "cohorts": {str(size): cohort for size, cohort in loaded["cohorts"].items()},
        "rows": loaded["rows"],
    }
