"""``flask ce packet MODULE --out DIR``: write a module's CE audit packet."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from kaptrain.learning.ce_packet import build_packet
from kaptrain.learning.course import current_catalog

ce_cli = AppGroup("ce", help="CE paperwork: the audit packet a sponsor files.")


@ce_cli.command("packet")
@click.argument("module_id")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the packet into (created if missing).",
)
def packet_command(module_id: str, out: Path) -> None:
    """Write MODULE's audit packet (a PDF and CSVs) into the folder --out."""
    catalog = current_catalog()
    module = catalog.get(module_id)
    if module is None:
        known = ", ".join(m.id for m in catalog.modules) or "none"
        raise click.ClickException(
            f'There is no module "{module_id}" in the catalog. Modules: {known}.'
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        files = build_packet(module)
        for name, content in files.items():
            (out / name).write_bytes(content)
    except OSError as error:
        raise click.ClickException(
            f"Cannot write the packet into {out}: {error.strerror or error}. "
            "Choose a folder you can write to."
        ) from None
    click.echo(f"CE audit packet for {module.title} {module.version} in {out}:")
    for name, content in files.items():
        click.echo(f"  {name:<24} {len(content):>9,} bytes")
