"""``flask --app kaptrain content check|reload``: check and reload course content."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup

content_cli = AppGroup(
    "content", help="Check, reload, import, export and roll back course content."
)


def missing_folder(target: Path, directory: Path | None, command: str) -> NoReturn:
    """Say that the modules folder ``target`` of ``content <command>`` does not
    exist, and exit 2."""
    source = "" if directory else " (KAPTRAIN_MODULES_DIR)"
    click.echo(
        f"{target}{source}: no such folder. Pass the folder that holds the "
        f"modules, for example: flask --app kaptrain content {command} modules",
        err=True,
    )
    sys.exit(2)


@content_cli.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="Output format.",
)
def content_check(directory: Path | None, strict: bool, fmt: str) -> None:
    """Check a modules folder (default: KAPTRAIN_MODULES_DIR) and list problems.

    Exits 0 when clean, 1 on errors (or warnings with --strict), 2 when the
    folder does not exist.
    """
    from kaptrain.content.check import run_check

    target = directory or Path(current_app.config["MODULES_DIR"])
    if not target.is_dir() and fmt == "text":
        missing_folder(target, directory, "check")
    sys.exit(run_check(target, strict=strict, fmt=fmt, out=sys.stdout))  # type: ignore[arg-type]


@content_cli.command("reload")
@click.option(
    "--pidfile",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The server's pid file (default: instance/gunicorn.pid).",
)
def content_reload(pidfile: Path | None) -> None:
    """Rebuild the catalog, record versions, and tell a running server to reload."""
    from kaptrain.learning.course import content_state, record_module_versions

    state = content_state()
    catalog = state.reload()
    if state.error:
        click.echo(f"Error: {state.error}.", err=True)
        sys.exit(1)
    record_module_versions(catalog)
    served, left_out = len(catalog.modules), len(catalog.broken)
    click.echo(
        f"{served} module{'' if served == 1 else 's'} served, {left_out} left out "
        f"with errors ({state.rendered} rendered in {state.build_seconds:.2f} s)."
    )
    for broken in catalog.broken:
        errors = [p for p in broken.problems if p.is_error]
        click.echo(f"  left out: {broken.name}: {errors[0] if errors else ''}")
    _signal_server(pidfile or Path(current_app.instance_path) / "gunicorn.pid")


def _signal_server(pidfile: Path) -> None:
    """SIGHUP the gunicorn master: it starts fresh workers, which load the files."""
    if not pidfile.exists():
        click.echo(f"No running server found ({pidfile}); restart it to load.")
        return
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (ValueError, OSError) as error:
        click.echo(f"Could not signal the server in {pidfile}: {error}", err=True)
        sys.exit(1)
    click.echo(f"Told the server (pid {pid}) to reload its workers.")
