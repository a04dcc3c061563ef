"""Settings every test app starts from, and the constants tests share."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CONTENT_FIXTURES = ROOT / "tests" / "content"
PASSWORD = "tidal-lantern-orchard-92"
# Cheap scrypt parameters for speed; production uses N=2^17 (platform/config.py).
TEST_PASSWORD_METHOD = "scrypt:1024:8:1"


def base_config(database_url: str, **extra: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_METHOD": TEST_PASSWORD_METHOD,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "CONTENT_AUTO_RELOAD": False,
        "MODULES_DIR": ROOT / "modules",
        # Serve the folder directly (fast); tests of the published store set
        # CONTENT_SOURCE="database" themselves.
        "CONTENT_SOURCE": "folder",
        "SERVER_NAME": None,
        # Development mail goes to files; never into the project's instance/.
        "MAIL_DIR": Path(tempfile.mkdtemp(prefix="kaptrain-test-mail-")),
        # Never the developer's instance/ key; tests that sign make their own.
        "SIGNING_KEY_FILE": Path(tempfile.mkdtemp(prefix="kaptrain-test-key-"))
        / "signing_key.pem",
        # Time on task is off: tests that walk a module do not wait; the
        # time-on-task tests turn it on (tests/test_time_on_task.py).
        "MIN_TIME_SHARE": 0,
    }
    config.update(extra)
    return config
