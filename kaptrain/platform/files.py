"""Files that hold trainees' data are readable by the server's user only.

The SQLite database, its backups and pg_dump files carry private reflections,
so they are created mode 0600 and the instance folder 0700 (group and others
get nothing). A file that already exists with wider permissions is narrowed.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700

log = logging.getLogger(__name__)


def private_dir(path: Path) -> None:
    """Create ``path`` (and parents) if missing; narrow it to 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    _narrow(path, PRIVATE_DIR)


def private_file(path: Path) -> None:
    """Create ``path`` empty if missing, mode 0600; narrow it if it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        _narrow(path, PRIVATE_FILE)
    else:
        os.close(fd)
        # The umask may have taken bits away, never added them: 0600 or less.


def _narrow(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        try:
            path.chmod(current & mode)
        except PermissionError:
            log.warning(
                "%s is readable by others (mode %o) and kaptrain may not change "
                "it: run `chmod %o %s` as its owner.",
                path,
                current,
                mode,
                path,
            )
