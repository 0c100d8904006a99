"""A private PostgreSQL server for the benchmark (Debian's ``postgresql`` package).

The cluster lives in ``bench/work/pg`` and is kept between runs, so a seeded
database is reused; each run works on a copy made with ``CREATE DATABASE … TEMPLATE``.
"""

import glob
import os
import pwd
import shutil
import subprocess
import time

import sqlalchemy as sa

from bench.load import free_port


def _bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise SystemExit("PostgreSQL is not installed: apt-get install postgresql (or pass --postgres URL)")
    return os.path.dirname(found[-1])


def _as_postgres(cmd):
    """Run ``cmd`` as the ``postgres`` user when we are root (initdb refuses to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class PostgresServer:
    """Start (initdb on first use) and stop a PostgreSQL server on a loopback port."""

    def __init__(self, workdir, port=None):
        self.datadir = os.path.join(workdir, "pg", "data")
        self.sockdir = os.path.join(workdir, "pg", "sock")
        self.logfile = os.path.join(workdir, "pg", "server.log")
        self.port = port
        self.bindir = _bindir()

    def admin_url(self, database="postgres"):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self):
        os.makedirs(os.path.dirname(self.datadir), exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(os.path.dirname(self.datadir), user.pw_uid, user.pw_gid)
        if not os.path.exists(os.path.join(self.datadir, "PG_VERSION")):
            shutil.rmtree(self.datadir, ignore_errors=True)
            subprocess.run(
                _as_postgres(
                    [
                        f"{self.bindir}/initdb",
                        "-D",
                        self.datadir,
                        "-U",
                        "postgres",
                        "--auth=trust",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        os.makedirs(self.sockdir, exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.sockdir, user.pw_uid, user.pw_gid)
        # A fixed port can be taken, for a moment, by the client side of a loopback connection
        # (the ephemeral range covers it): choose a free one, and another if it was taken since.
        fixed = self.port is not None
        for attempt in range(5):
            if not fixed:
                self.port = free_port()
            options = (
                f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1 -c shared_buffers=512MB "
                "-c max_connections=50 -c maintenance_work_mem=512MB -c max_wal_size=4GB"
            )
            started = subprocess.run(
                _as_postgres(
                    [f"{self.bindir}/pg_ctl", "-D", self.datadir, "-l", self.logfile, "-o", options, "-w", "start"]
                ),
                stdout=subprocess.DEVNULL,
            )
            if started.returncode == 0:
                break
            if fixed or attempt == 4:
                raise SystemExit(f"PostgreSQL did not start; see {self.logfile}")
        deadline = time.monotonic() + 30
        while True:
            try:
                engine = sa.create_engine(self.admin_url())
                with engine.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
                engine.dispose()
                return self
            except sa.exc.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def stop(self):
        subprocess.run(
            _as_postgres([f"{self.bindir}/pg_ctl", "-D", self.datadir, "-m", "fast", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def database_exists(admin_url, name):
    engine = sa.create_engine(admin_url)
    with engine.connect() as conn:
        found = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
    engine.dispose()
    return found is not None


def databases_like(admin_url, pattern):
    """Return the names of the databases matching the SQL LIKE ``pattern``."""
    engine = sa.create_engine(admin_url)
    with engine.connect() as conn:
        names = conn.scalars(sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": pattern}).all()
    engine.dispose()
    return names


def run_sql(admin_url, *statements):
    """Run statements outside a transaction (CREATE/DROP DATABASE need that)."""
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def server_version(url):
    """Return the server's version number (150004 for 15.4)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        version = int(conn.scalar(sa.text("SHOW server_version_num")))
    engine.dispose()
    return version


def checkpoint(url):
    """Flush dirty pages now rather than during a measurement (needs the right to; else skipped)."""
    try:
        run_sql(url, "CHECKPOINT")
    except sa.exc.DBAPIError:
        pass


def with_database(url, name):
    """Return ``url`` pointing at database ``name``."""
    return sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
