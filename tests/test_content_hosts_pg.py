"""Scale-out proof: two real app hosts (two gunicorn masters on different ports,
each with its own instance folder) on one PostgreSQL database serve the same
published course. A publish on A reaches B within the poll interval plus a
build; a rollback on B reaches A; a sign-out on one host ends the session on the
other (docs/security.md)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.learn import MODULE_ID, copy_fixture_module
from tests.support.live_server import LiveServer, start_live_server

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        not os.environ.get("KAPTRAIN_TEST_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (KAPTRAIN_TEST_DATABASE_URL): the hosts share it",
    ),
]

POLL = 0.5
#: Poll interval plus a catalog build of the changed module, with room for a
#: busy 2-CPU machine.
CONVERGE_S = POLL + 15.0
LESSON = f"/modules/{MODULE_ID}/microaggressions"
TRAINEE = "trainee@example.org"


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, ...]]:
    root = tmp_path_factory.mktemp("hosts")
    env = {
        "KAPTRAIN_CONTENT_SOURCE": "database",
        "KAPTRAIN_CONTENT_POLL_SECONDS": str(POLL),
    }
    modules_a = copy_fixture_module(root / "a")
    modules_b = copy_fixture_module(root / "b")
    with start_live_server(root / "a", modules_dir=modules_a, extra_env=env) as a:
        with start_live_server(
            root / "b",
            modules_dir=modules_b,
            extra_env=env,
            demo=False,
            database_url=a.database_url,
        ) as b:
            yield a, b


def _title(http: requests.Session, server: LiveServer) -> str:
    page = http.get(f"{server.url}{LESSON}", timeout=30)
    assert page.status_code == 200, page.status_code
    match = re.search(r"<h1>([^<]*)</h1>", page.text)
    assert match, "the lesson page has no heading"
    return match.group(1)


def _wait_for_title(http: requests.Session, server: LiveServer, title: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < CONVERGE_S:
        if _title(http, server) == title:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{server.url} still shows {_title(http, server)!r}")


def _publish_new_title(server: LiveServer, modules: Path, title: str) -> None:
    folder = modules / MODULE_ID
    module = folder / "module.md"
    module.write_text(module.read_text().replace("version: 1.0.0", "version: 1.1.0"))
    lesson = folder / "02-microaggressions.md"
    text = lesson.read_text().replace("title: Microaggressions", f"title: {title}")
    lesson.write_text(text)
    done = server.flask("content", "import", str(modules), check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"published {MODULE_ID} as revision 2" in done.stdout


def test_publish_on_one_host_and_rollback_on_the_other_reach_both(
    hosts: tuple[LiveServer, LiveServer], tmp_path: Path
) -> None:
    a, b = hosts
    http = a.login(TRAINEE)  # one cookie jar: both hosts are 127.0.0.1
    assert _title(http, a) == "Microaggressions"
    assert _title(http, b) == "Microaggressions"

    _publish_new_title(a, copy_fixture_module(tmp_path), "Everyday slights")
    waited = _wait_for_title(http, b, "Everyday slights")
    print(f"host B served the publish from host A after {waited:.2f} s")
    assert _title(http, a) == "Everyday slights"

    done = b.flask("content", "rollback", MODULE_ID, "1", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    waited = _wait_for_title(http, a, "Microaggressions")
    print(f"host A served the rollback from host B after {waited:.2f} s")
    history = a.flask("content", "history", MODULE_ID).stdout
    assert "*   3" in history and "Rollback to revision 1" in history


def test_signing_out_on_one_host_ends_the_session_on_the_other(
    hosts: tuple[LiveServer, LiveServer],
) -> None:
    a, b = hosts
    http = a.login(TRAINEE)
    assert http.get(f"{b.url}/progress", timeout=30).status_code == 200
    page = http.get(f"{b.url}/progress", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no sign-out form on the page"
    out = http.post(
        f"{b.url}/logout",
        data={"csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert out.status_code == 302
    after = http.get(f"{a.url}/progress", allow_redirects=False, timeout=30)
    assert after.status_code == 302 and "/login" in after.headers["Location"]
