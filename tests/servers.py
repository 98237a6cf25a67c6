"""Start daphne the way the README and the Dockerfile do, as a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_of_test_database() -> str:
    connection.ensure_connection()  # the embedded server's socket is known once it runs
    db = connection.settings_dict
    user = quote(db["USER"] or "postgres", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    # A Unix socket's directory is the host, percent-encoded.
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


@contextmanager
def daphne(port: int, output: list[str] | None = None, **env: str) -> Iterator[str]:
    """``python -m config.daphne -b 127.0.0.1 -p PORT --websocket_connect_timeout 30 …``.

    As the Dockerfile runs it, on the test database. When it has stopped, what it printed is
    appended to ``output`` if one is given.
    """
    command = [sys.executable, "-m", "config.daphne", "-b", "127.0.0.1", "-p", str(port),
               "--websocket_connect_timeout", "30", "config.asgi:application"]  # fmt: skip
    with serve(command, port, output, **env) as base:
        yield base


@contextmanager
def serve(
    command: list[str],
    port: int,
    output: list[str] | None = None,
    health_headers: dict[str, str] | None = None,
    database_url: str | None = None,
    **env: str,
) -> Iterator[str]:
    """Run ``command``, a server on 127.0.0.1:``port``, on the test database (or
    ``database_url``, its address looked up beforehand) while the block runs; yield its base
    URL once ``/healthz`` answers (asked with ``health_headers``, e.g. an allowed Host). ``env``
    is added to the environment, which otherwise leaves DEBUG to its default."""
    database_url = database_url or database_url_of_test_database()
    environment = {**os.environ, "DATABASE_URL": database_url}
    environment.pop("DEBUG", None)
    environment.update(env)
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    fetch(f"{base}/healthz", health_headers)
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        server.kill()
                        server.wait()
                        log.seek(0)
                        printed = log.read().decode(errors="replace")
                        raise RuntimeError(f"the server did not serve: {printed}") from None
                    time.sleep(0.3)
            yield base
        finally:
            server.terminate()
            try:
                # daphne waits for open application instances before it exits; a test
                # teardown need not
                server.wait(5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            if output is not None:
                log.seek(0)
                output.append(log.read().decode(errors="replace"))
