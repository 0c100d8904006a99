"""The README's curl examples, run as they are written against a live server on loopback."""

import json
import os
import re
import subprocess
import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from xobito_tickets.db import session
from xobito_tickets.models import Reply, Ticket

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def readme_commands():
    """Return the curl commands of the README's REST API example block (continuation lines joined)."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        section = f.read().split("## REST API", 1)[1].split("\n## ", 1)[0]
    block = section.split("Examples (", 1)[1]
    code = re.search(r"```sh\n(.*?)```", block, re.S).group(1)
    code = code.replace("\\\n", " ")
    return [line.strip() for line in code.splitlines() if line.strip().startswith("curl ")]


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on 127.0.0.1, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_readme_curl_examples_work(app, world, tokens, live_server, tmp_path):
    commands = readme_commands()
    assert len(commands) == 7 and all("$HELPDESK" in c for c in commands)
    (tmp_path / "vpn-log.txt").write_text("12:00 tunnel down\n")
    env = {
        **os.environ,
        "HELPDESK": f"{live_server}/acme",
        "TOKEN": tokens.customer,
        "STAFF_TOKEN": tokens.staff,
    }
    answers = []
    for command in commands:
        # --fail-with-body: an HTTP error makes curl exit non-zero, with the answer shown.
        run = subprocess.run(
            ["bash", "-c", command.replace("curl ", "curl --fail-with-body ", 1)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert run.returncode == 0, (command, run.stdout, run.stderr)
        answers.append(json.loads(run.stdout))
    assert answers[0]["email"] == "carla@acme.test"
    assert answers[1]["number"] == "TKT-000001" and answers[1]["priority"] == "high"
    assert [t["number"] for t in answers[2]["data"]] == ["TKT-000001"]
    assert answers[3]["attachments"][0]["name"] == "vpn-log.txt"
    assert answers[4]["priority"] == "urgent" and answers[4]["assignee"] is None
    assert answers[4]["tags"] == ["VIP", "vpn"]
    assert answers[5]["kind"] == "note" and answers[5]["body"] == "Their office VPN changed on Monday."
    assert answers[6]["status"] == "closed"
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
        kinds = session.scalars(sa.select(Reply.kind).order_by(Reply.id)).all()
        assert kinds == ["reply", "note"]
