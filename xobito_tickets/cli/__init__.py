"""The ``flask tickets`` command group: one module per family of commands.

Commands may import any feature's services; nothing in the package imports ``cli``.
"""

from flask.cli import AppGroup

from .api import token_cli, webhook_cli
from .host import db_cli, sync_users
from .inbound import fetch_mail, inbound_cli, receive_mail
from .mail import outbox_cli, send_mail
from .reports import rebuild_reports
from .search import reindex_command
from .worker import worker
from .workspace import demo, department_cli, recount, tenant_cli, user_cli

#: ``flask tickets …``: every command of the module, under one group so none clashes with a host's.
tickets_cli = AppGroup("tickets", help="Manage the helpdesk: workspaces, users, departments, demo data, mail.")

for _command in (
    tenant_cli,
    user_cli,
    department_cli,
    demo,
    recount,
    reindex_command,
    send_mail,
    outbox_cli,
    sync_users,
    db_cli,
    worker,
    receive_mail,
    fetch_mail,
    inbound_cli,
    token_cli,
    webhook_cli,
    rebuild_reports,
):
    tickets_cli.add_command(_command)


def add_command(command):
    """Add a feature's command (or group) to ``flask tickets``."""
    tickets_cli.add_command(command)
