"""``flask --app kaptrain content check`` and ``content reload`` through the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTENT = Path(__file__).parent / "content"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    folder = tmp_path / "modules"
    shutil.copytree(CONTENT / "honest-module", folder / "honest-module")
    return folder


@pytest.fixture
def app_config(tree: Path) -> dict[str, Any]:
    return {"MODULES_DIR": tree, "CONTENT_CACHE_DIR": None}


def check(runner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(args=["content", "check", *args])


def test_clean_folder_exits_zero(runner, tree: Path) -> None:
    result = check(runner, str(tree))
    assert result.exit_code == 0, result.output
    assert "no problems in 1 module" in result.output


def test_default_folder_is_the_configured_modules_dir(runner) -> None:
    result = check(runner)
    assert result.exit_code == 0
    assert "no problems in 1 module" in result.output


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("l1-broken-link", "l1-broken-link/lesson.md:8: error L1:"),
        ("q3-single-two-correct", "q3-single-two-correct/quiz.md:7: error Q3:"),
        ("v2-missing-target", "v2-missing-target/case.md:15: error V2:"),
        ("f7-yaml-syntax", "f7-yaml-syntax/lesson.md:4: error F7:"),
        ("b4-raw-html", "b4-raw-html/lesson.md:8: error B4:"),
        ("c1-unknown-citation", "c1-unknown-citation/lesson.md:9: error C1:"),
        (
            "m6-contents-missing-file",
            "m6-contents-missing-file/module.md:13: error M6:",
        ),
    ],
)
def test_each_broken_fixture_exits_one_naming_file_line_and_code(
    runner, fixture: str, expected: str
) -> None:
    result = check(runner, str(CONTENT / fixture))
    assert result.exit_code == 1, result.output
    assert any(line.startswith(expected) for line in result.output.splitlines()), (
        result.output
    )


def test_missing_folder_exits_two_with_a_clear_message(runner, tmp_path: Path) -> None:
    result = check(runner, str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope'}: no such folder" in result.stderr
    assert "content check modules" in result.stderr
    assert "Traceback" not in result.output


def test_missing_configured_folder_names_the_setting(runner, tree: Path, app) -> None:
    shutil.rmtree(tree)
    result = check(runner)
    assert result.exit_code == 2
    assert "KAPTRAIN_MODULES_DIR" in result.stderr


def test_json_format(runner) -> None:
    result = check(runner, str(CONTENT / "q3-single-two-correct"), "--format", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert all(
        set(p) == {"path", "line", "severity", "code", "message"} for p in problems
    )
    assert [
        (p["path"], p["line"], p["severity"]) for p in problems if p["code"] == "Q3"
    ] == [("q3-single-two-correct/quiz.md", 7, "error")]


def test_json_format_for_a_missing_folder(runner, tmp_path: Path) -> None:
    result = check(runner, str(tmp_path / "nope"), "--format", "json")
    assert result.exit_code == 2
    [problem] = json.loads(result.stdout)["problems"]
    assert "no such directory" in problem["message"]


@pytest.mark.parametrize(("strict", "code"), [((), 0), (("--strict",), 1)])
def test_strict_fails_on_warnings(runner, strict: tuple[str, ...], code: int) -> None:
    result = check(runner, str(CONTENT / "m12-credit-mismatch"), *strict)
    assert result.exit_code == code
    assert "warning M12" in result.output


def test_shipped_curriculum_passes_strict(runner) -> None:
    result = check(runner, str(ROOT / "modules"), "--strict")
    assert result.exit_code == 0, result.output
    assert "no problems in" in result.output


def test_reload_prints_counts(runner, tree: Path, tmp_path: Path) -> None:
    shutil.copytree(CONTENT / "l1-broken-link", tree / "broken")
    module = tree / "broken" / "module.md"
    module.write_text(module.read_text().replace("order: 1", "order: 5"))
    result = runner.invoke(
        args=["content", "reload", "--pidfile", str(tmp_path / "none.pid")]
    )
    assert result.exit_code == 0, result.output
    assert "1 module served, 1 left out with errors" in result.output
    assert "left out: broken: broken/lesson.md:8: error L1" in result.output.replace(
        "modules/", ""
    )
    assert "No running server found" in result.output


def test_reload_with_an_unreadable_folder_exits_one(runner, tree: Path) -> None:
    shutil.rmtree(tree)
    result = runner.invoke(args=["content", "reload"])
    assert result.exit_code == 1
    assert "cannot read the modules folder" in result.stderr


HUP_CHILD = """
import signal, sys, time
def on_hup(signum, frame):
    print("got SIGHUP", flush=True)
    sys.exit(0)
signal.signal(signal.SIGHUP, on_hup)
print("ready", flush=True)
time.sleep(30)
sys.exit(3)
"""


def test_reload_signals_the_server_in_the_pid_file(runner, tmp_path: Path) -> None:
    child = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", HUP_CHILD], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        pidfile = tmp_path / "gunicorn.pid"
        pidfile.write_text(f"{child.pid}\n")
        result = runner.invoke(args=["content", "reload", "--pidfile", str(pidfile)])
        assert result.exit_code == 0, result.output
        assert f"Told the server (pid {child.pid})" in result.output
        assert child.wait(timeout=10) == 0
        assert child.stdout.read().strip() == "got SIGHUP"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_reload_with_a_stale_pid_file_says_so(runner, tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    child.wait()  # reaped, so its pid names no process
    pidfile = tmp_path / "gunicorn.pid"
    pidfile.write_text(f"{child.pid}\n")
    result = runner.invoke(args=["content", "reload", "--pidfile", str(pidfile)])
    assert result.exit_code == 1
    assert "Could not signal the server" in result.stderr
