"""Reading files never raises: size cap, encodings, and arbitrary input."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaptrain.content import MAX_BYTES, build_catalog
from kaptrain.content.problems import Problems
from kaptrain.content.reader import read_source

COMPLETE = Path(__file__).parent / "content" / "complete-module"


def test_five_megabyte_file_is_refused_without_reading(tmp_path: Path) -> None:
    folder = tmp_path / "modules" / "big"
    shutil.copytree(COMPLETE, folder)
    lesson = folder / "02-microaggressions.md"
    lesson.write_bytes(lesson.read_bytes() + b"x" * (5 * 1024 * 1024))
    result = build_catalog(tmp_path / "modules")
    [problem] = [p for p in result.problems if p.code == "F2"]
    assert (problem.path, problem.line) == ("modules/big/02-microaggressions.md", 1)
    assert str(MAX_BYTES) not in problem.message  # printed with separators
    assert f"{MAX_BYTES:,}" in problem.message
    assert result.catalog.broken[0].name == "big"


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "lesson.md"
    path.write_bytes(b"---\nkind: lesson\n---\nok\nbad \xc3\x28 here\n")
    sink: list = []
    assert read_source(path, "lesson.md", Problems("lesson.md", sink)) is None
    assert [(p.line, p.code) for p in sink] == [(5, "F1")]
    assert "column 5" in sink[0].message


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "lesson.md"
    path.write_bytes(b"\xef\xbb\xbf---\r\nkind: lesson\r\ntitle: T\r\n---\r\nBody\r\n")
    sink: list = []
    source = read_source(path, "lesson.md", Problems("lesson.md", sink))
    assert sink == []
    assert source is not None and source.meta["title"].text == "T"
    assert source.body[0] == (5, "Body")


def test_yaml_one_point_one_traps_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "lesson.md"
    path.write_text("---\ntitle: no\nversion: 1.10\ntime: 1:30\nid: 012\n---\n")
    sink: list = []
    source = read_source(path, "lesson.md", Problems("lesson.md", sink))
    assert source is not None
    values = {k: v.text for k, v in source.meta.items()}
    assert values == {"title": "no", "version": "1.10", "time": "1:30", "id": "012"}


def _module_with(tmp_path: Path, name: str, data: bytes) -> Path:
    tree = tmp_path / "modules"
    folder = tree / "m"
    if not folder.exists():
        shutil.copytree(COMPLETE, folder)
    (folder / name).write_bytes(data)
    return tree


FRONT = st.sampled_from(
    [
        b"",
        b"---\nkind: lesson\nid: x\ntitle: T\nestimated_minutes: 5\n---\n",
        b"---\nkind: quiz\nid: post-test\ntitle: Q\n---\n",
        b"---\nkind: vignette\nid: v\ntitle: V\nstart: a\nestimated_minutes: 5\n"
        b"based_on: x\n---\n",
        b"---\nkind: evaluation\nid: e\ntitle: E\n---\n",
    ]
)
SNIPPETS = st.sampled_from(
    [
        "::: question q\n",
        "::: scene a\n",
        ":::\n",
        "- [x] a\n",
        "- [ ] b\n",
        "- [best] go -> a\n",
        "-> a\n",
        "? prompt\n",
        "> fb\n",
        "Explanation: e\n",
        ":type: order\n",
        "::: reveal T\n",
        "[@carter-2007]\n",
        "![](media/x.png)\n",
        "<b>x</b>\n",
        "::: ending a\n",
        "- step\n",
        "[@ bad, key]\n",
        "```\n",
        "\n",
        "::: rating r\n",
        "[x](../y)\n",
        "title: a: b\n",
        "---\n",
    ]
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    front=FRONT, body=st.lists(st.one_of(SNIPPETS, st.text(max_size=40)), max_size=25)
)
def test_checker_never_raises_on_structured_text(
    tmp_path: Path, front: bytes, body: list[str]
) -> None:
    for name in ("quiz.md", "02-microaggressions.md"):
        tree = _module_with(tmp_path, name, front + "".join(body).encode())
        result = build_catalog(tree)
        assert all(p.line >= 1 for p in result.problems)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=400))
def test_checker_never_raises_on_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    for name in ("module.md", "case-first-session.md", "references.yaml"):
        tree = _module_with(tmp_path, name, data)
        build_catalog(tree)
        shutil.copy(COMPLETE / name, tree / "m" / name)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=300))
def test_checker_never_raises_on_arbitrary_text(tmp_path: Path, text: str) -> None:
    for prefix in ("", "---\nkind: lesson\n", "---\n"):
        tree = _module_with(
            tmp_path,
            "01-defining-racial-trauma.md",
            (prefix + text).encode("utf-8", "surrogatepass"),
        )
        build_catalog(tree)
