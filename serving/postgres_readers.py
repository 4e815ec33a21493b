"""On Postgres, readers get a role, not a copy: a login role that may select the marts and alerts, and nothing else.

`ensure_reader_role` runs after every run on Postgres (in place of publishing the serving copy) and may run any
number of times: it creates the role or brings it back to what is written here. Personal data stays with the
pipeline: raw, staging, intermediate, quarantine and every other schema grant the role nothing.

Runs never wait long on readers: dbt swaps a rebuilt table in by renaming it, which waits for the readers of
the old table to finish. The role's timeouts bound that wait: a statement of the role is cancelled after
`statement_timeout`, a session idle inside a transaction is ended after `idle_in_transaction_session_timeout`
(and, on PostgreSQL 17 and later, a transaction after `transaction_timeout`). See docs/postgres.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

# What readers may select; tables dbt creates there later are readable too (default privileges).
READER_SCHEMAS = ("marts", "alerts")
READER_PASSWORD_ENV = "ECOMOPS_READER_PASSWORD"
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
SCRAM_ITERATIONS = 4096  # PostgreSQL's default (scram_iterations)
TRANSACTION_TIMEOUT_SINCE = 170000  # server_version_num of the first release with transaction_timeout


@dataclass(frozen=True)
class ReaderGrants:
    """What `ensure_reader_role` left in place: for the run's metadata (never the password)."""

    role: str
    database: str
    schemas: tuple[str, ...]
    tables: int
    withheld_schemas: tuple[str, ...]
    statement_timeout: str
    password_set: bool


def scram_verifier(password: str, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password`: the server is sent this, never the password.

    Only ASCII passwords: PostgreSQL normalizes others (SASLprep) before hashing, which this does not do.
    """
    if not password.isascii() or not password.isprintable():
        raise ValueError(f"${READER_PASSWORD_ENV} must be printable ASCII")
    salt = salt or os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    stored_key = hashlib.sha256(hmac.digest(salted, b"Client Key", "sha256")).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    encode = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{encode(salt)}${encode(stored_key)}:{encode(server_key)}"


def ensure_reader_role(owner_url: str, role: str, password: str | None, statement_timeout: str) -> ReaderGrants:
    """Create or correct the reader role, as the pipeline's own user (`owner_url`: it needs CREATEROLE).

    The role logs in, inherits nothing, reads only in read-only transactions, and may use and select the
    READER_SCHEMAS: their tables now, and (default privileges) those the owner creates there later, so a
    table dbt rebuilds stays readable. Every other schema of the database is revoked from it. Without a
    password the role exists but cannot log in over TCP (scram-sha-256).
    """
    connection = psycopg2.connect(owner_url)
    try:
        with connection, connection.cursor() as cursor:  # one transaction: all of it, or nothing
            name = sql.Identifier(role)
            cursor.execute("select rolsuper or rolreplication or rolbypassrls from pg_roles where rolname = %s", [role])
            existing = cursor.fetchone()
            if existing is None:
                cursor.execute(sql.SQL("create role {} login noinherit nosuperuser nocreatedb nocreaterole "
                                       "noreplication nobypassrls").format(name))
            elif existing[0]:  # only a superuser could take these back: never make a reader of such a role
                raise ValueError(f"role {role} exists as a superuser, replication or bypassrls role: not a reader")
            else:
                cursor.execute(sql.SQL("alter role {} login noinherit nocreatedb nocreaterole").format(name))
            if password:
                cursor.execute(sql.SQL("alter role {} password {}").format(name, sql.Literal(scram_verifier(password))))
            cursor.execute("select current_database(), current_setting('server_version_num')::int")
            database, version = cursor.fetchone()
            timeouts = ["statement_timeout", "idle_in_transaction_session_timeout"]
            timeouts += ["transaction_timeout"] if version >= TRANSACTION_TIMEOUT_SINCE else []
            for setting in timeouts:
                cursor.execute(sql.SQL("alter role {} set {} = {}").format(
                    name, sql.Identifier(setting), sql.Literal(statement_timeout)))
            cursor.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(name))
            cursor.execute(sql.SQL("grant connect on database {} to {}").format(sql.Identifier(database), name))
            withheld = _revoke_other_schemas(cursor, name)
            tables = 0
            for schema in READER_SCHEMAS:
                schema_name = sql.Identifier(schema)
                cursor.execute(sql.SQL("create schema if not exists {}").format(schema_name))
                cursor.execute(sql.SQL("grant usage on schema {} to {}").format(schema_name, name))
                cursor.execute(sql.SQL("grant select on all tables in schema {} to {}").format(schema_name, name))
                cursor.execute(sql.SQL("alter default privileges in schema {} grant select on tables to {}")
                               .format(schema_name, name))
                cursor.execute("select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                               "where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p')", [schema])
                tables += cursor.fetchone()[0]
    finally:
        connection.close()
    return ReaderGrants(role, database, READER_SCHEMAS, tables, withheld, statement_timeout, bool(password))


def _revoke_other_schemas(cursor, role: sql.Identifier) -> tuple[str, ...]:
    """Take back anything granted to the role outside READER_SCHEMAS (raw, staging, intermediate, quarantine...).

    What PUBLIC is granted (USAGE on schema public, by PostgreSQL's default) every role has: keep public empty.
    """
    cursor.execute("select nspname from pg_namespace where not (nspname = any(%s) or nspname like 'pg\\_%%') "
                   "order by 1", [list(READER_SCHEMAS + SYSTEM_SCHEMAS)])
    schemas = tuple(name for (name,) in cursor.fetchall())
    for schema in schemas:
        schema_name = sql.Identifier(schema)
        cursor.execute(sql.SQL("revoke all on schema {} from {}").format(schema_name, role))
        cursor.execute(sql.SQL("revoke all on all tables in schema {} from {}").format(schema_name, role))
        cursor.execute(sql.SQL("alter default privileges in schema {} revoke all on tables from {}")
                       .format(schema_name, role))
    return schemas


def reader_url(postgres_url: str, role: str, password: str | None) -> str:
    """The warehouse's server and database, logged in as the reader role: where the dashboard reads."""
    parts = urlsplit(postgres_url)
    credentials = quote(role, safe="") + (":" + quote(password, safe="") if password else "")
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{credentials}@{host}"))
