"""Production's topology on this machine: nginx with platform/nginx.conf in front of two daphne
processes started as the Docker image starts them, with DEBUG off and production's settings, on
the test database and the machine's Redis. One of each for the whole test run."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.servers import ROOT, database_url_of_test_database, free_port, serve
from tests.topology.nginx import Nginx

HOST = "wijkplatform.example"
ORIGIN = f"https://{HOST}"
DOCKERFILE = ROOT / "platform" / "Dockerfile"
#: nginx's websocket read timeout here (an hour in production) and how often daphne pings an
#: idle socket (20 s by default): the same order, scaled down so that a test can idle past it
WEBSOCKET_TIMEOUT = 3
PING_INTERVAL = 1
#: what the image's HEALTHCHECK sends: the first allowed host, over HTTPS as nginx says it
HEALTH_HEADERS = {"Host": HOST, "X-Forwarded-Proto": "https"}


def image_command(port: int) -> list[str]:
    """The Dockerfile's CMD, on 127.0.0.1:``port`` and with daphne's shorter ping."""
    (line,) = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD ")]
    argv = json.loads(line.removeprefix("CMD "))
    assert argv[0] == "python", argv
    argv[0] = sys.executable
    argv[argv.index("-b") + 1] = "127.0.0.1"
    argv[argv.index("-p") + 1] = str(port)
    assert "--proxy-headers" in argv, "nginx passes the client's address in X-Forwarded-For"
    return [*argv[:-1], "--ping-interval", str(PING_INTERVAL), argv[-1]]


def production_environment(base: Path) -> dict[str, str]:
    """docker-compose.yml's environment, with the throw-away secrets .ci/run builds for its
    deployment checks, and this run's own static, media and checkpoint paths."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "MFA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ACCESS_LOG_KEYS": f"ci:{secrets.token_urlsafe(32)}",
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": ORIGIN,
        "SITE_URL": ORIGIN,
        "STATIC_ROOT": str(base / "static"),
        "MEDIA_ROOT": str(base / "media"),
        "ACCESS_LOG_CHECKPOINT_FILE": str(base / "access-log" / "checkpoints.jsonl"),
        "METRICS_TOKEN": secrets.token_urlsafe(32),
    }


@dataclass
class Topology:
    nginx: Nginx
    #: the daphne processes' ports, web1 and web2
    upstreams: list[int]
    env: dict[str, str]
    static_root: Path
    #: what the daphne processes printed, once they have stopped
    outputs: list[str] = field(default_factory=list)
    #: ``stop(index)`` and ``start(index, **env)``: one daphne process, as ``docker compose up
    #: --no-deps webN`` replaces a container; set by the fixture
    stop: Callable[[int], None] = field(default=lambda index: None, repr=False)
    start: Callable[..., None] = field(default=lambda index, **env: None, repr=False)
    is_running: Callable[[int], bool] = field(default=lambda index: True, repr=False)

    @property
    def port(self) -> int:
        return self.nginx.port


@pytest.fixture(scope="session")
def topology(tmp_path_factory, django_db_setup, django_db_blocker) -> Iterator[Topology]:
    base = tmp_path_factory.mktemp("topology")
    env = production_environment(base)
    with django_db_blocker.unblock():
        database_url = database_url_of_test_database()
    # web1's entrypoint step (MIGRATE=1): the test database is migrated already
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, **env},
        check=True,
        timeout=180,
    )
    upstreams = [free_port(), free_port()]
    outputs: list[str] = []

    def server(port: int, **extra: str):
        return serve(image_command(port), port, outputs, HEALTH_HEADERS, database_url,
                     **env, **extra)  # fmt: skip

    servers = [server(port) for port in upstreams]
    with ExitStack() as stack:
        # web1 and web2 start side by side (each waits for its /healthz), and stop so
        with ThreadPoolExecutor(len(servers)) as pool:
            started = [pool.submit(server.__enter__) for server in servers]
        running: list = [
            server for server, start in zip(servers, started, strict=True) if not start.exception()
        ]

        def stop_all() -> None:
            with ThreadPoolExecutor(len(servers)) as pool:
                live = [server for server in running if server is not None]
                list(pool.map(lambda server: server.__exit__(None, None, None), live))

        stack.callback(stop_all)
        for start in started:
            start.result()
        nginx = Nginx(
            base / "nginx",
            port=free_port(),
            static_root=Path(env["STATIC_ROOT"]),
            upstreams=upstreams,
            trusted_proxy="127.0.0.1",
            websocket_timeout=f"{WEBSOCKET_TIMEOUT}s",
        )
        stack.callback(nginx.close)

        def stop(index: int) -> None:
            """SIGTERM, as ``docker stop`` sends; SIGKILL if it has not ended within 5 s."""
            if running[index] is not None:
                running[index].__exit__(None, None, None)
                running[index] = None

        def start(index: int, **extra: str) -> None:
            """Start it again (with ``extra`` in its environment); return once /healthz
            answers."""
            stop(index)
            replacement = server(upstreams[index], **extra)
            replacement.__enter__()
            running[index] = replacement

        yield Topology(
            nginx, upstreams, env, Path(env["STATIC_ROOT"]), outputs,
            stop=stop, start=start, is_running=lambda index: running[index] is not None,
        )  # fmt: skip


@pytest.fixture
def production_keys(settings, topology) -> None:
    """This process signs sessions and encrypts second factors as the servers do, so that what
    a test creates in the database is valid there."""
    settings.SECRET_KEY = topology.env["SECRET_KEY"]
    settings.MFA_ENCRYPTION_KEYS = [topology.env["MFA_ENCRYPTION_KEYS"]]
    key_id, _colon, secret = topology.env["ACCESS_LOG_KEYS"].partition(":")
    settings.ACCESS_LOG_KEYS = {key_id: secret}
