"""A throwaway PostgreSQL cluster from Debian's packages on a free loopback port: for tests, benchmarks and CI.

Not part of the product. `.ci/run` starts one for the whole test run (`start`, `stop`) and exports its URL as
ECOMOPS_TEST_POSTGRES_URL; tests without that variable start their own (`throwaway_postgres`). Each test then
makes a database of its own (`create_database`), so tests never see each other's tables.

    python bench/postgres_server.py start DIR    # prints the superuser's URL
    python bench/postgres_server.py stop DIR
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SUPERUSER = "ecomops_admin"
# A warehouse's settings rather than an OLTP server's defaults (docs/postgres.md): the models' sorts, hashes and
# windows spill to disk above work_mem (default 4MB), and bulk loads checkpoint every max_wal_size (1GB).
# No JIT: it compiled each one-day model for seconds (its estimates are high, its work small).
# All reloadable: an existing server takes them with ALTER SYSTEM and pg_reload_conf().
WAREHOUSE_SETTINGS = {"work_mem": "128MB", "maintenance_work_mem": "1GB", "max_wal_size": "4GB",
                      "checkpoint_timeout": "15min", "jit": "off"}
URL_FILE = "url"


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert found, "PostgreSQL's server is not installed: apt-get install postgresql"
    return Path(found[-1]).parent


def _as_server_user(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as Debian's `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(directory: Path) -> str:
    """initdb and start a cluster in `directory` (created); its superuser's URL, also written to `directory`/url."""
    directory.mkdir(parents=True, exist_ok=True)
    data, sockets = directory / "data", directory / "sockets"
    sockets.mkdir(exist_ok=True)
    password = secrets.token_hex(12)
    password_file = directory / "password"
    password_file.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
        shutil.chown(sockets, "postgres")
        shutil.chown(password_file, "postgres")
    bindir = _bindir()
    subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--pwfile",
                                    str(password_file), "--auth-host=scram-sha-256", "--auth-local=trust",
                                    "-E", "UTF8", "--locale=C.UTF-8"]),
                   check=True, capture_output=True, text=True)
    password_file.unlink()
    port = _free_port()
    options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 "
               + " ".join(f"-c {name}={value}" for name, value in WAREHOUSE_SETTINGS.items()))
    subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(directory / "server.log"),
                                    "-o", options, "-w", "start"]), check=True, capture_output=True, text=True)
    url = f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{port}/postgres"
    (directory / URL_FILE).write_text(url + "\n")
    return url


def stop(directory: Path) -> None:
    """Stop the cluster `start` made in `directory` (fast shutdown: open sessions are cut)."""
    data = directory / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run(_as_server_user([str(_bindir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       check=True, capture_output=True, text=True)


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A cluster for the block: its superuser's URL. Removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="ecomops-pg-"))
    try:
        yield start(directory)
    finally:
        stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


def database_url(server_url: str, database: str) -> str:
    """The same server and user, another database."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def create_database(server_url: str, database: str) -> str:
    """A new, empty database on the server (dropped first if a crashed run left it): its URL."""
    import psycopg2

    connection = psycopg2.connect(server_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'drop database if exists "{database}" with (force)')
            cursor.execute(f'create database "{database}"')
    finally:
        connection.close()
    return database_url(server_url, database)


def main() -> None:
    command, directory = sys.argv[1], Path(sys.argv[2])
    if command == "start":
        print(start(directory))
    elif command == "stop":
        stop(directory)
    else:
        raise SystemExit(f"usage: {sys.argv[0]} start|stop DIR")


if __name__ == "__main__":
    main()
