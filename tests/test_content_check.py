"""The `content check` command core and `python -m kaptrain.content`."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kaptrain.content import CODES, run_check

CONTENT = Path(__file__).parent / "content"
ROOT = Path(__file__).parent.parent


def check(directory: Path, **options) -> tuple[int, str]:
    out = io.StringIO()
    status = run_check(directory, out=out, **options)
    return status, out.getvalue()


def test_clean_module_exits_zero() -> None:
    status, output = check(CONTENT / "honest-module", strict=True)
    assert (status, output) == (
        0,
        "honest-module: 6 items, 50% apply, correct option longest in 0% of "
        "single-choice, objectives 2/2, references titled 2/2 with DOI/URL 2/2, "
        "28 min estimated vs 30 claimed\n"
        "no problems in 1 module\n",
    )


def test_errors_exit_one_with_a_summary() -> None:
    status, output = check(CONTENT / "q3-single-two-correct")
    lines = output.splitlines()
    assert status == 1
    # Issue 17 added warnings (M15, Q16, Q18, Q19 x2) to the fixture's one M12.
    assert lines[-1] == "2 errors, 6 warnings in 1 module (1 module checked)"
    assert all(
        re.match(r"^[^:]+:\d+: (error|warning) [A-Z][A-Z\d-]*: ", line)
        for line in lines[:-2]
    )
    assert lines[-2].startswith("q3-single-two-correct: 1 item, 0% apply, ")


def test_warnings_fail_only_when_strict() -> None:
    case = CONTENT / "c2-unused-reference"
    assert check(case)[0] == 1  # also has errors (no quiz)
    status, output = check(CONTENT / "m12-credit-mismatch")
    assert status == 0 and "warning M12" in output
    assert check(CONTENT / "m12-credit-mismatch", strict=True)[0] == 1


def test_json_format() -> None:
    status, output = check(CONTENT / "v2-missing-target", fmt="json")
    problems = json.loads(output)["problems"]
    assert status == 1
    assert {
        "path": "v2-missing-target/case.md",
        "line": 15,
        "severity": "error",
        "code": "V2",
        "message": '"-> agnda" points to no node. Did you mean "agenda"?',
    } in problems


def test_missing_directory_exits_two(tmp_path: Path) -> None:
    status, output = check(tmp_path / "nope")
    assert status == 2 and "no such directory" in output


def test_python_dash_m_entry_point() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "kaptrain.content",
            "check",
            str(CONTENT / "honest-module"),
            "--strict",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    report = json.loads(run.stdout)
    assert (run.returncode, report["problems"]) == (0, [])
    [module] = report["modules"]
    assert module["id"] == "honest-module"
    assert module["figures"]["estimated_minutes"] == 28


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_is_documented(code: str) -> None:
    guide = (ROOT / "docs" / "authoring.md").read_text()
    assert re.search(rf"^#+ .*\b{code}\b", guide, re.MULTILINE), code
