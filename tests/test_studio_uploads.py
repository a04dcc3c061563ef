"""Uploads into a draft: every refusal says why, and nothing refused is stored."""

from __future__ import annotations

import html
import io
import re
import stat
import zipfile
from typing import Any

import pytest
from flask import Flask
from PIL import Image

from kaptrain.authoring.uploads import Limits, UploadError, accept_file, accept_zip
from tests.support.settings import CONTENT_FIXTURES
from tests.support.studio import (
    draft_text,
    editor,
    lock_version,
    publish_fixture,
    start,
)

pytestmark = pytest.mark.content(None)

LIMITS = Limits(file_bytes=64 * 1024, files=20, total_bytes=256 * 1024)


def png(width: int = 4, height: int = 4, extra: bytes = b"") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue() + extra


def bomb_png() -> bytes:
    """48 million one-bit pixels: a few KB on disk, far more once decoded."""
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, format="PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="JPEG")
    return out.getvalue()


def module_zip(entries: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return out.getvalue()


def fixture_files() -> dict[str, bytes]:
    folder = CONTENT_FIXTURES / "complete-module"
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize(
    ("name", "data", "alt", "says"),
    [
        ("notes.txt", b"text", "", "only .md, .yaml and .yml files"),
        ("page.html", b"<script>", "", "only .md, .yaml and .yml files"),
        ("picture.svg", b"<svg/>", "x", "only .md, .yaml and .yml files"),
        ("my notes.md", b"text", "", "no spaces"),
        ("../escape.md", b"text", "", None),  # the folder part is dropped
        ("big.md", b"x" * (64 * 1024 + 1), "", "files may be at most 64 KB"),
        ("empty.md", b"", "", "is empty"),
        ("latin1.md", "caf\xe9".encode("latin-1"), "", "is not UTF-8 text"),
        ("nul.md", b"a\x00b", "", "not a text file"),
        ("photo.png", png(), "", 'describe "photo.png" in the alt text field'),
        (
            "photo.png",
            b"not an image at all",
            "A photo",
            "could not be read as an image",
        ),
        ("photo.png", jpeg(), "A photo", "is a JPEG image but its name ends in .png"),
        ("huge.png", bomb_png(), "A photo", "million pixels"),
    ],
)
def test_single_file_refusals(
    name: str, data: bytes, alt: str, says: str | None
) -> None:
    if says is None:
        path, _ = accept_file(name, data, alt, {}, LIMITS)
        assert path == "escape.md"
        return
    with pytest.raises(UploadError) as caught:
        accept_file(name, data, alt, {}, LIMITS)
    assert says in caught.value.message


def test_count_and_total_limits() -> None:
    many = {f"f{i}.md": b"x" for i in range(20)}
    with pytest.raises(UploadError, match="at most 20 files"):
        accept_file("one-more.md", b"x", "", many, LIMITS)
    heavy = {
        "a.md": b"x" * 60_000,
        "b.md": b"x" * 60_000,
        "c.md": b"x" * 60_000,
        "d.md": b"x" * 60_000,
    }
    with pytest.raises(UploadError, match="at most 256 KB in all"):
        accept_file("e.md", b"x" * 30_000, "", heavy, LIMITS)


def test_images_are_reencoded_without_what_follows_them() -> None:
    data = png(extra=b"<script>alert(1)</script>")
    path, body = accept_file("diagram.png", data, "A diagram", {}, LIMITS)
    assert path == "media/diagram.png"
    assert b"<script>" not in body
    assert Image.open(io.BytesIO(body)).size == (4, 4)


@pytest.mark.parametrize(
    ("entries", "symlink", "says"),
    [
        ({"/etc/module.md": b"x"}, None, "has an absolute path"),
        ({"C:/module.md": b"x"}, None, "has an absolute path"),
        ({"m/../../module.md": b"x"}, None, 'points outside the module with ".."'),
        ({"module.md": b"x"}, "media/link.png", "is a symbolic link"),
        (
            {"module.md": b"x", "lesson.md": b"x" * (64 * 1024 + 1)},
            None,
            "larger than 64 KB",
        ),
        ({f"f{i}.md": b"x" for i in range(21)}, None, "holds 21 files"),
        ({"lesson.md": b"x"}, None, "has no module.md"),
        ({"module.md": b"x", "notes.txt": b"x"}, None, "only .md, .yaml and .yml"),
        (
            {"module.md": b"x", "pic.png": png()},
            None,
            "belong in the module's media/ folder",
        ),
        ({"module.md": b"x", "sub/lesson.md": b"x"}, None, "sit beside module.md"),
    ],
)
def test_zip_refusals(
    entries: dict[str, bytes], symlink: str | None, says: str
) -> None:
    with pytest.raises(UploadError) as caught:
        accept_zip(module_zip(entries, symlink=symlink), LIMITS)
    assert says in caught.value.message


def test_zip_bomb_is_refused_before_expanding() -> None:
    # 5 entries of 60 KB of zeros compress to almost nothing but expand past 256 KB.
    bomb = module_zip(
        {"module.md": b"x", **{f"f{i}.md": b"0" * 60_000 for i in range(5)}}
    )
    assert len(bomb) < 10_000
    with pytest.raises(UploadError, match="expands to more than 256 KB"):
        accept_zip(bomb, LIMITS)


def test_not_a_zip() -> None:
    with pytest.raises(UploadError, match="not a readable zip"):
        accept_zip(b"PK\x03\x04 broken", LIMITS)


def test_a_module_zip_in_one_folder_is_accepted() -> None:
    files = fixture_files()
    data = module_zip({f"complete-module/{k}": v for k, v in files.items()})
    accepted = accept_zip(data, Limits(1 << 20, 100, 4 << 20))
    assert set(accepted) == set(files)
    assert accepted["module.md"] == files["module.md"]


# ------------------------------------------------------------- through the page


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {
        "STUDIO_MAX_FILE_BYTES": 64 * 1024,
        "STUDIO_MAX_FILES": 20,
        "STUDIO_MAX_TOTAL_BYTES": 2 * 1024 * 1024,
    }


def test_refused_upload_shows_the_reason_and_stores_nothing(
    app: Flask,
    client,
    login,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    publish_fixture(app)
    login(make_user("author"))
    draft_id = start(client)
    version = lock_version(editor(client, draft_id))
    response = client.post(
        f"/studio/drafts/{draft_id}/upload",
        data={
            "lock_version": version,
            "alt": "",
            "upload": (io.BytesIO(png()), "chart.png"),
        },
    )
    assert response.status_code == 400
    page = html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))
    assert 'Not uploaded: describe "chart.png" in the alt text field' in page
    from kaptrain.authoring.drafts import draft_files, get_draft

    with app.app_context():
        assert "media/chart.png" not in draft_files(get_draft(draft_id))
    ok = client.post(
        f"/studio/drafts/{draft_id}/upload",
        data={
            "lock_version": version,
            "alt": "A chart",
            "upload": (io.BytesIO(png()), "chart.png"),
        },
    )
    assert ok.status_code == 302
    with app.app_context():
        row = next(f for f in get_draft(draft_id).files if f.path == "media/chart.png")
        assert row.alt == "A chart"
    image = client.get(f"/studio/drafts/{draft_id}/media/chart.png")
    assert image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")
    big = client.post(
        f"/studio/drafts/{draft_id}/upload",
        data={
            "lock_version": lock_version(editor(client, draft_id)),
            "upload": (io.BytesIO(b"x" * 1_500_000), "long.md"),
        },
    )
    assert big.status_code == 400  # over the file limit, under the request limit
    assert "files may be at most 64 KB" in big.get_data(as_text=True)
    assert draft_text(app, draft_id, "module.md").startswith("---")
