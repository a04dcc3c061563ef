"""Files uploaded into a draft: one text file, one image, or a whole module as a
zip. Everything is checked before a byte is stored, and every refusal says
what to do.

Limits (``KAPTRAIN_STUDIO_MAX_FILE_BYTES``, ``..._MAX_FILES``,
``..._MAX_TOTAL_BYTES``) apply to each file, to the number of files in the
draft and to the draft's total size. Allowed: ``.md``, ``.yaml``/``.yml``
(UTF-8 text) and PNG, JPEG, GIF or WebP images. Images are decoded with Pillow
and re-encoded (dropping metadata and anything appended to the picture), and
need alt text. A zip is refused when an entry has an absolute path, a ``..``
part or is a symbolic link, or when it would expand past the limits.
"""

from __future__ import annotations

import io
import posixpath
import re
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from kaptrain.authoring.drafts import StudioError

TEXT_TYPES = (".md", ".yaml", ".yml")
#: Extension -> the format Pillow must find in the file.
IMAGE_TYPES = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".gif": "GIF",
    ".webp": "WEBP",
}
MAX_PIXELS = 40_000_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
#: Entries a zip made on macOS or Windows carries that are not module files.
_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db")


class UploadError(StudioError):
    """An upload was refused."""


@dataclass(frozen=True)
class Limits:
    """The upload limits in force."""

    file_bytes: int
    files: int
    total_bytes: int

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> Limits:
        """The limits set by the ``KAPTRAIN_STUDIO_MAX_*`` settings."""
        return cls(
            int(config["STUDIO_MAX_FILE_BYTES"]),  # type: ignore[call-overload]
            int(config["STUDIO_MAX_FILES"]),  # type: ignore[call-overload]
            int(config["STUDIO_MAX_TOTAL_BYTES"]),  # type: ignore[call-overload]
        )


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{max(count // 1024, 1)} KB"


def _suffix(name: str) -> str:
    return posixpath.splitext(name)[1].lower()


def check_name(name: str) -> str:
    """The file name to store, or raise :class:`UploadError`."""
    base = posixpath.basename(name.replace("\\", "/"))
    if not _NAME.match(base):
        raise UploadError(
            f'"{base or name}": name files with letters, digits, ".", "-" and "_" '
            "only (no spaces), starting with a letter or digit; rename it and "
            "upload it again"
        )
    suffix = _suffix(base)
    if suffix not in TEXT_TYPES and suffix not in IMAGE_TYPES:
        raise UploadError(
            f'"{base}": only .md, .yaml and .yml files and PNG, JPEG, GIF or WebP '
            "images can be uploaded (or a whole module as a .zip)"
        )
    return base


def _text(name: str, data: bytes) -> bytes:
    if b"\x00" in data:
        raise UploadError(f'"{name}" is not a text file (it contains NUL bytes)')
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UploadError(
            f'"{name}" is not UTF-8 text (byte {error.start + 1}); save it as UTF-8 '
            "and upload it again"
        ) from None
    return data.replace(b"\r\n", b"\n")


def reencode_image(name: str, data: bytes) -> bytes:
    """Decode an image with Pillow and encode it again, or raise UploadError."""
    # Pillow is imported here, not at start-up: only uploads need it
    # (tests/test_worker_memory.py keeps app start light).
    from PIL import Image, UnidentifiedImageError

    expected = IMAGE_TYPES[_suffix(name)]
    try:
        with Image.open(io.BytesIO(data)) as probe:
            found = probe.format
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise UploadError(
                    f'"{name}" is {width} x {height} pixels; use an image of at most '
                    f"{MAX_PIXELS // 1_000_000} million pixels"
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            out = io.BytesIO()
            if expected == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.save(out, format=expected)
    except UploadError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise UploadError(
            f'"{name}" could not be read as an image; export it again as PNG or '
            "JPEG and upload that file"
        ) from None
    if found != expected:
        raise UploadError(
            f'"{name}" is a {found} image but its name ends in {_suffix(name)}; '
            "rename it to match its type"
        )
    return out.getvalue()


def _within(limits: Limits, files: Mapping[str, bytes]) -> None:
    if len(files) > limits.files:
        raise UploadError(
            f"a draft holds at most {limits.files} files; this upload would make "
            f"{len(files)}. Delete files you no longer need first"
        )
    total = sum(len(d) for d in files.values())
    if total > limits.total_bytes:
        raise UploadError(
            f"a draft holds at most {_size(limits.total_bytes)} in all; this upload "
            f"would make {_size(total)}. Make images smaller or delete some first"
        )


def accept_file(
    name: str,
    data: bytes,
    alt: str,
    existing: Mapping[str, bytes],
    limits: Limits,
) -> tuple[str, bytes]:
    """Check one uploaded file; returns ``(path in the draft, bytes to store)``.

    Text files go beside module.md; images go under ``media/`` and need ``alt``.
    """
    base = check_name(name)
    if len(data) > limits.file_bytes:
        raise UploadError(
            f'"{base}" is {_size(len(data))}; files may be at most '
            f"{_size(limits.file_bytes)}"
        )
    if not data:
        raise UploadError(f'"{base}" is empty; choose the file again')
    if _suffix(base) in TEXT_TYPES:
        path, body = base, _text(base, data)
    else:
        if not alt.strip():
            raise UploadError(
                f'describe "{base}" in the alt text field: trainees who cannot see '
                "the image hear or read it instead"
            )
        path, body = f"media/{base}", reencode_image(base, data)
    _within(limits, {**existing, path: body})
    return path, body


def _entry_path(info: zipfile.ZipInfo) -> str:
    """The entry's path, or raise for absolute, ``..`` or symbolic-link entries."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise UploadError(
            f'the zip entry "{info.filename}" has an absolute path; zip the module '
            "folder's contents with relative paths"
        )
    if ".." in name.split("/"):
        raise UploadError(
            f'the zip entry "{info.filename}" points outside the module with "..";'
            " remove it from the zip"
        )
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UploadError(
            f'the zip entry "{info.filename}" is a symbolic link; replace it with '
            "the file itself"
        )
    return name


def _entries(
    archive: zipfile.ZipFile, limits: Limits
) -> list[tuple[str, zipfile.ZipInfo]]:
    entries = []
    declared = 0
    for info in archive.infolist():
        name = _entry_path(info)
        if info.is_dir() or any(j in name for j in _JUNK):
            continue
        if any(part.startswith(".") for part in name.split("/")):
            continue
        declared += info.file_size
        if declared > limits.total_bytes:
            raise UploadError(
                f"the zip expands to more than {_size(limits.total_bytes)}; a module "
                "may hold at most that much. Make images smaller"
            )
        entries.append((name, info))
    if len(entries) > limits.files:
        raise UploadError(
            f"the zip holds {len(entries)} files; a module may hold at most "
            f"{limits.files}"
        )
    return entries


def _strip_top(names: list[str]) -> str:
    """The single top folder every entry shares (``module-name/``), or ``""``."""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1 and all("/" in n for n in names):
        return next(iter(tops)) + "/"
    return ""


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """An entry's bytes, reading no more than the per-file limit allows (a zip
    can lie about sizes in its directory)."""
    with archive.open(info) as stream:
        data = stream.read(limits.file_bytes + 1)
    if len(data) > limits.file_bytes:
        raise UploadError(
            f'the zip entry "{info.filename}" is larger than '
            f"{_size(limits.file_bytes)}, the most one file may be"
        )
    return data


def accept_zip(data: bytes, limits: Limits) -> dict[str, bytes]:
    """A whole module from a zip: ``{path: bytes}`` to replace the draft's files."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        raise UploadError(
            "the file is not a readable zip archive; zip the module folder again"
        ) from None
    with archive:
        entries = _entries(archive, limits)
        if not entries:
            raise UploadError("the zip holds no files; zip the module folder")
        top = _strip_top([n for n, _ in entries])
        files: dict[str, bytes] = {}
        total = 0
        for name, info in entries:
            path = name.removeprefix(top)
            body = _entry(path, _read(archive, info, limits))
            total += len(body)
            if total > limits.total_bytes:
                raise UploadError(
                    f"the zip expands to more than {_size(limits.total_bytes)}"
                )
            files[path] = body
    if "module.md" not in files:
        raise UploadError(
            "the zip has no module.md at its top (or in one folder); zip the "
            "module folder itself"
        )
    return files


def _entry(path: str, data: bytes) -> bytes:
    base = check_name(posixpath.basename(path))
    folder = posixpath.dirname(path)
    if _suffix(base) in IMAGE_TYPES:
        if folder != "media" and not folder.startswith("media/"):
            raise UploadError(f'"{path}": images belong in the module\'s media/ folder')
        return reencode_image(base, data)
    if folder:
        raise UploadError(
            f'"{path}": .md and .yaml files sit beside module.md, not in a folder'
        )
    return _text(path, data)
