"""Command-line tools: ``flask --app kaptrain <command>``.

One module per area defines its commands (``*_commands.py``); this module lists
them all in :data:`COMMANDS` and registers them with the app. A new command is a
function in the module for its area (or a new ``<area>_commands.py``) and one
line at the end of :data:`COMMANDS`.
"""

from __future__ import annotations

import click
from flask import Flask

from kaptrain.cli.backup_commands import backup_command, restore_command
from kaptrain.cli.ce_commands import ce_cli
from kaptrain.cli.content_commands import content_cli
from kaptrain.cli.demo_commands import demo_command
from kaptrain.cli.mail_commands import mail_cli
from kaptrain.cli.user_commands import create_user_command
from kaptrain.learning.credentials.commands import credential_cli, keys_cli
from kaptrain.xapi.cli import xapi_cli

COMMANDS: tuple[click.Command, ...] = (
    create_user_command,
    demo_command,
    content_cli,
    mail_cli,
    backup_command,
    restore_command,
    keys_cli,
    credential_cli,
    ce_cli,
    xapi_cli,
)


def register(app: Flask) -> None:
    """Add every command in :data:`COMMANDS` to ``app.cli``."""
    from kaptrain.authoring.commands import add_content_commands

    add_content_commands(content_cli)
    for command in COMMANDS:
        app.cli.add_command(command)
