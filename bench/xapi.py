"""xAPI: what queuing statements costs a learner write.

In-process, through the Flask test client (the full request: form, service,
learner-write path, commit), the same trainees complete every lesson of a real
module and submit a post-test attempt, once with xAPI off and once with
``KAPTRAIN_XAPI_ENDPOINT`` set (the statements are queued in the same
transaction; the sender is not running, so only the write path is measured).
Reported: submissions (lesson completions plus quiz submissions) per second,
the ratio, and the outbox rows written per submission.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import PASSWORD, PASSWORD_METHOD, ROOT, close_app, database, log

TRAINEES = 20
ROUNDS = 3
_CHOICE = re.compile(r'name="(q-[^"]+)" value="1"')
_ORDER = re.compile(r'<select id="[^"]+" name="(q-[^"]+)-(\d+)">')


def _config(url: str, xapi: bool, tmp: Path) -> dict[str, Any]:
    config: dict[str, Any] = {
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": url,
        "PASSWORD_METHOD": PASSWORD_METHOD,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "CONTENT_AUTO_RELOAD": False,
        # The write path is the same whichever source serves the course; the
        # folder needs no import step, and completions come at once (no
        # time-on-task wait).
        "CONTENT_SOURCE": "folder",
        "MIN_TIME_SHARE": 0,
        "MODULES_DIR": ROOT / "modules",
        "BASE_URL": "https://bench.example.org",
        "MAIL_DIR": tmp / "mail",
    }
    if xapi:
        config.update(XAPI_ENDPOINT="http://127.0.0.1:9/xAPI/")
    return config


def _answers(page: str) -> dict[str, Any]:
    """Any complete answer to the attempt page (right or wrong does not matter)."""
    data: dict[str, Any] = dict.fromkeys(_CHOICE.findall(page), "1")
    for name, position in _ORDER.findall(page):
        data[f"{name}-{position}"] = position
    return data


def _trainee(app: Any, n: int) -> Any:
    from kaptrain.extensions import db
    from kaptrain.models import User, UserRole
    from kaptrain.people.passwords import hash_password

    with app.app_context():
        user = User(
            email=f"x{n}@bench.example.org",
            name=f"Bench {n}",
            password_hash=hash_password(PASSWORD),
        )
        user.role_rows = [UserRole(role="trainee")]
        db.session.add(user)
        db.session.commit()
        email = user.email
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, "bench sign-in failed"
    return client


def run_one(url: str, xapi: bool, tmp: Path) -> dict[str, Any]:
    from kaptrain import create_app
    from kaptrain.extensions import db
    from kaptrain.learning.course import current_catalog
    from kaptrain.models import XapiStatement

    app = create_app(_config(url, xapi, tmp))
    with app.app_context():
        db.create_all()
        module = next(m for m in current_catalog().modules if m.quiz is not None)
    clients = [_trainee(app, n) for n in range(TRAINEES)]
    base = f"/modules/{module.id}"
    started = time.perf_counter()
    submissions = 0
    for client in clients:
        for lesson in module.lessons:
            assert client.post(f"{base}/{lesson.id}/complete").status_code == 302
            submissions += 1
        response = client.post(f"{base}/{module.quiz.id}/start", data={"kind": "post"})
        location = response.headers["Location"]
        page = client.get(location).get_data(as_text=True)
        answered = client.post(location, data=_answers(page))
        assert answered.status_code in (302, 303), answered.status_code
        submissions += 1
    elapsed = time.perf_counter() - started
    with app.app_context():
        rows = db.session.query(XapiStatement).count()
    close_app(app)
    return {
        "submissions": submissions,
        "seconds": round(elapsed, 3),
        "per_s": round(submissions / elapsed, 1),
        "outbox_rows": rows,
    }


def run(kinds: tuple[str, ...] = ("sqlite",)) -> dict[str, Any]:
    """Both settings on each database, interleaved for ROUNDS rounds; the best
    round of each is kept (the machine is shared: the best is the least
    disturbed). Quiz page loads are timed in both, so the ratio is the cost of
    xAPI on the whole flow."""
    results: dict[str, Any] = {}
    for kind in kinds:
        best: dict[str, dict[str, Any]] = {}
        for _round in range(ROUNDS):
            for xapi in (False, True):
                label = "with" if xapi else "without"
                with tempfile.TemporaryDirectory(prefix="kaptrain-bench-xapi-") as tmp:
                    with database(kind, Path(tmp), "xapi") as url:
                        log(f"xapi: {kind}, {label} xAPI")
                        one = run_one(url, xapi, Path(tmp))
                if label not in best or one["per_s"] > best[label]["per_s"]:
                    best[label] = one
        ratio = best["with"]["per_s"] / best["without"]["per_s"]
        results[kind] = {**best, "ratio": round(ratio, 3), "rounds": ROUNDS}
    return results


if __name__ == "__main__":  # python -m bench.xapi
    import json
    import sys

    from .common import pg_available

    chosen = ("sqlite", "postgresql") if pg_available() else ("sqlite",)
    json.dump(run(chosen), sys.stdout, indent=2)
