"""A real IMAP server for tests: Debian's dovecot, in a temporary directory, on a loopback port, over TLS.

Like the private PostgreSQL of scripts/temp-postgres.sh: its own configuration, a
passwd-file with one user, mail in the temporary directory, and a self-signed certificate
made for 127.0.0.1, which the code under test is told to trust (TICKETS_INBOUND_IMAP_CAFILE);
nothing in it skips certificate checks.
"""

import imaplib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import time

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DovecotServer:
    """One dovecot process serving IMAPS on 127.0.0.1 for the user ``user`` / ``password``."""

    def __init__(self, root, user="helpdesk@inbound.test", password="imap-secret"):
        self.root = str(root)
        self.user = user
        self.password = password
        self.host = "127.0.0.1"
        self.port = None
        self.cafile = os.path.join(self.root, "cert.pem")
        self._process = None

    def _write_files(self):
        os.makedirs(os.path.join(self.root, "mail"), exist_ok=True)
        # dovecot's auth process runs as its own user and must read the passwd-file.
        os.chmod(self.root, 0o755)
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", os.path.join(self.root, "key.pem"), "-out", self.cafile,
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        uid, gid = os.getuid(), os.getgid()
        if uid == 0:
            # dovecot will not keep mail as root: the mail belongs to its own system user.
            account = pwd.getpwnam("dovecot")
            uid, gid = account.pw_uid, account.pw_gid
            os.chown(os.path.join(self.root, "mail"), uid, gid)
        with open(os.path.join(self.root, "passwd"), "w") as out:
            out.write(f"{self.user}:{{PLAIN}}{self.password}:{uid}:{gid}::{self.root}/home\n")
        with open(os.path.join(self.root, "dovecot.conf"), "w") as out:
            out.write(CONFIG.format(root=self.root, port=self.port))

    def start(self):
        """Start dovecot in the foreground of a child process and wait until it answers."""
        self.port = _free_port()
        self._write_files()
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", os.path.join(self.root, "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def stop(self):
        """Stop dovecot and its children."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(10)

    def log(self):
        """Return dovecot's log so far."""
        try:
            with open(os.path.join(self.root, "dovecot.log")) as log:
                return log.read()[-4000:]
        except OSError:
            return ""

    def connect(self):
        """Return a logged-in IMAP4_SSL client that trusts the test certificate."""
        context = ssl.create_default_context(cafile=self.cafile)
        client = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=context)
        client.login(self.user, self.password)
        return client

    def append(self, raw, folder="INBOX"):
        """Put one message into ``folder`` with IMAP APPEND."""
        client = self.connect()
        try:
            client.create(folder) if folder != "INBOX" else None
            typ, data = client.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            client.logout()

    def flags(self, folder="INBOX"):
        """Return the flags of every message of ``folder``, in order."""
        client = self.connect()
        try:
            client.select(folder, readonly=True)
            typ, data = client.fetch("1:*", "(FLAGS)")
            if typ != "OK" or data == [None]:
                return []
            return [item.decode() for item in data if isinstance(item, bytes)]
        except imaplib.IMAP4.error:
            return []
        finally:
            client.logout()
