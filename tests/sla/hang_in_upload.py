"""Post a reply with an attachment, then hang inside its transaction (the test kills this process).

Run as ``python hang_in_upload.py CONFIG_JSON TICKET_ID AUTHOR_ID``. It prints ``WRITTEN <key>``
once the file is in storage and the rows are flushed but not committed, then sleeps.
"""

import io
import json
import sys
import time

from xobito_tickets import create_app, signals
from xobito_tickets.db import session
from xobito_tickets.models import Ticket, User
from xobito_tickets.tickets.services import post_reply
from xobito_tickets.tickets.uploads import UploadedFile


def hang(sender, attachments=(), **extra):
    print("WRITTEN", attachments[0].storage_key, flush=True)
    time.sleep(600)


def main():
    config = json.loads(sys.argv[1])
    app = create_app(config)
    with app.app_context():
        signals.reply_posted.connect(hang)
        ticket = session.get(Ticket, int(sys.argv[2]))
        author = session.get(User, int(sys.argv[3]))
        data = b"printer log\nerror 42\n"
        post_reply(
            ticket,
            author,
            "Here is the log.",
            files=[UploadedFile("log.txt", "text/plain", io.BytesIO(data), len(data))],
        )


if __name__ == "__main__":
    main()
