"""Where the seed goes: a fresh SQLite file (executemany) or PostgreSQL database (COPY)."""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex

from xobito_tickets import models
from xobito_tickets.db import metadata
from xobito_tickets.tickets.counts import rebuild_statements

#: Columns filled by the generator, per table (other columns get their defaults).
COLUMNS = {
    "tickets_tenants": ("id", "slug", "name", "active", "allow_signup", "created_at"),
    "tickets_users": (
        "id",
        "tenant_id",
        "email",
        "name",
        "role",
        "active",
        "password_hash",
        "external_id",
        "created_at",
    ),
    "tickets_departments": ("id", "tenant_id", "name", "description", "active", "created_at"),
    "tickets_department_members": ("department_id", "user_id"),
    "tickets_counters": ("tenant_id", "last_number"),
    "tickets_tickets": (
        "id",
        "tenant_id",
        "number",
        "subject",
        "body",
        "department_id",
        "priority",
        "status",
        "requester_id",
        "assignee_id",
        "created_at",
        "last_reply_at",
        "closed_at",
    ),
    "tickets_replies": ("id", "tenant_id", "ticket_id", "author_id", "body", "created_at"),
    "tickets_events": ("id", "tenant_id", "ticket_id", "actor_id", "kind", "old_value", "new_value", "created_at"),
    "tickets_attachments": (
        "id",
        "tenant_id",
        "ticket_id",
        "reply_id",
        "uploader_id",
        "storage_key",
        "filename",
        "content_type",
        "size",
        "created_at",
    ),
}
BULK_TABLES = ("tickets_tickets", "tickets_replies", "tickets_events", "tickets_attachments")


class Writer:
    """Insert rows into one table, filling columns the generator does not know with defaults."""

    def __init__(self, table_name, sqlite):
        table = metadata.tables[table_name]
        mine = COLUMNS[table_name]
        missing = [c for c in mine if c not in table.c]
        if missing:
            raise RuntimeError(f"bench/seed.py is out of date: {table_name} has no column(s) {missing}")
        self.extra = []
        for column in table.c:
            if column.name in mine:
                continue
            default = column.default
            if default is not None and default.is_scalar:
                value = default.arg
            elif default is not None and default.is_callable and column.nullable:
                # A nullable column whose default reads the row being inserted (the SLA
                # clock's start): the seed leaves it empty.
                continue
            elif default is not None and default.is_callable:
                value = default.arg(None)
            elif column.nullable or column.server_default is not None:
                continue
            else:
                raise RuntimeError(f"bench/seed.py cannot fill {table_name}.{column.name}; add it to COLUMNS")
            self.extra.append((column.name, value))
        self.table_name = table_name
        self.columns = list(mine) + [name for name, _ in self.extra]
        self.extra_values = tuple(_adapt(v, sqlite) for _, v in self.extra)
        self.datetime_positions = [
            i for i, name in enumerate(mine) if isinstance(table.c[name].type, (sa.DateTime, models.UTCDateTime))
        ]
        self.sqlite = sqlite

    def prepare(self, rows):
        """Return ``rows`` ready for the driver (timestamps as SQLite text, defaults appended)."""
        if self.sqlite and self.datetime_positions:
            positions = self.datetime_positions
            out = []
            for row in rows:
                row = list(row)
                for i in positions:
                    if row[i] is not None:
                        row[i] = row[i].isoformat(" ", "microseconds")
                out.append(tuple(row) + self.extra_values)
            return out
        if self.extra_values:
            return [row + self.extra_values for row in rows]
        return rows


def _adapt(value, sqlite):
    if isinstance(value, datetime):
        value = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return value.isoformat(" ", "microseconds") if sqlite else value
    if hasattr(value, "value"):  # enums
        return value.value
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def recount(cursor, dialect):
    """Fill the queue's counts table from the loaded tickets (the services keep it up after)."""
    for statement in rebuild_statements():
        cursor.execute(str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})))


class SQLiteSink:
    """Bulk insert into a fresh SQLite file with ``executemany`` in one transaction."""

    def __init__(self, path):
        self.path = path
        self.engine = sa.create_engine("sqlite:///" + path)
        metadata.create_all(self.engine)
        self.raw = self.engine.raw_connection()
        self.raw.driver_connection.isolation_level = None
        cursor = self.raw.cursor()
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000", "temp_store=MEMORY"):
            cursor.execute("PRAGMA " + pragma)
        cursor.execute("BEGIN")
        self.cursor = cursor
        self.writers = {}

    def drop_indexes(self, tables):
        for name in tables:
            for index in metadata.tables[name].indexes:
                self.cursor.execute(f'DROP INDEX "{index.name}"')

    def write(self, table_name, rows):
        writer = self.writers.get(table_name) or self.writers.setdefault(table_name, Writer(table_name, True))
        sql = f"INSERT INTO {table_name} ({', '.join(writer.columns)}) VALUES ({', '.join('?' * len(writer.columns))})"
        self.cursor.executemany(sql, writer.prepare(rows))

    def finish(self, tables):
        for name in tables:
            for index in metadata.tables[name].indexes:
                self.cursor.execute(str(CreateIndex(index).compile(dialect=self.engine.dialect)))
        recount(self.cursor, self.engine.dialect)
        self.cursor.execute("COMMIT")
        # A self-contained file (no -wal): the app switches it to WAL when it connects.
        self.cursor.execute("PRAGMA journal_mode=DELETE")
        self.cursor.close()
        self.raw.close()
        self.engine.dispose()


class PostgresSink:
    """Bulk load into a fresh PostgreSQL database with ``COPY``."""

    def __init__(self, url):
        self.engine = sa.create_engine(url)
        metadata.create_all(self.engine)
        self.raw = self.engine.raw_connection()
        self.conn = self.raw.driver_connection
        self.cursor = self.conn.cursor()
        self.writers = {}
        # Skip the per-row foreign key triggers while loading generated, consistent rows
        # (needs a superuser, as on the private server; elsewhere the load is just slower).
        try:
            self.cursor.execute("SET session_replication_role = replica")
        except Exception:  # noqa: BLE001  (psycopg.errors.InsufficientPrivilege)
            self.conn.rollback()

    def drop_indexes(self, tables):
        for name in tables:
            for index in metadata.tables[name].indexes:
                self.cursor.execute(f'DROP INDEX "{index.name}"')

    def write(self, table_name, rows):
        writer = self.writers.get(table_name) or self.writers.setdefault(table_name, Writer(table_name, False))
        with self.cursor.copy(f"COPY {table_name} ({', '.join(writer.columns)}) FROM STDIN") as copy:
            for row in writer.prepare(rows):
                copy.write_row(row)

    def finish(self, tables):
        for name in tables:
            for index in metadata.tables[name].indexes:
                self.cursor.execute(str(CreateIndex(index).compile(dialect=self.engine.dialect)))
        recount(self.cursor, self.engine.dialect)
        # Explicit ids were inserted: move every id sequence past them.
        for table in metadata.sorted_tables:
            if "id" in table.c and isinstance(table.c.id.type, sa.Integer) and table.c.id.primary_key:
                self.cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                )
        self.conn.commit()
        self.conn.autocommit = True
        self.cursor.execute("VACUUM ANALYZE")
        self.cursor.close()
        self.raw.close()
        self.engine.dispose()
