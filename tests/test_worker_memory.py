"""A worker that only serves pages does not load the password checker's word
lists or the PDF library (about 25 MB together); they load on first use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_app_start_leaves_heavy_libraries_unloaded(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from kaptrain import create_app\n"
        f"app = create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/m.db',"
        " 'SECRET_KEY': 'x' * 40})\n"
        "client = app.test_client()\n"
        "assert client.get('/login').status_code == 200\n"
        "print(sorted(m for m in ('zxcvbn', 'fpdf', 'PIL') if m in sys.modules))\n"
        "from kaptrain.people.passwords import password_problem\n"
        "password_problem('correct horse battery staple')\n"
        "print('zxcvbn' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "KAPTRAIN_INSTANCE_DIR": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["[]", "True"], result.stdout
