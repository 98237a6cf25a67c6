"""A rolling upgrade loses nothing: docs/DEPLOY.md's "Upgrades", step 4, through nginx.

50 clients in five rooms send and read through nginx (tests/topology/conftest.py) while the
daphne processes are replaced one at a time, as ``docker compose up -d --wait --no-deps web1``
and then ``web2`` replace their containers: SIGTERM to the old process, web1's new container
applies the release's migration (tests/topology/release/, a new table referring to messages)
while the old web2 keeps serving, then the new process starts with the release's code and
/healthz answers through nginx before the next one is replaced. The clients behave as the
browser's: they reconnect, subscribe again, ``sync`` what they missed and resend what was never
acknowledged (tests/faults/client.py). Meanwhile a poller asks nginx for a page every 100 ms.

Afterwards every message a client meant to send is stored exactly once with its room's next
sequence number, every acknowledgement names it, every client holds its room's full history in
order, and the poller saw no 5xx answer: nginx passes a request past a process that is down.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from websockets.asyncio.client import connect

from channels_app import services as channel_services
from channels_app.models import Channel, Message
from tests.factories import ProfessionalFactory
from tests.faults.client import ChatClient
from tests.servers import ROOT, database_url_of_test_database
from tests.topology.conftest import HOST, ORIGIN

pytestmark = [pytest.mark.redis, pytest.mark.nginx, pytest.mark.django_db(transaction=True)]

ROOMS = 5
MEMBERS = 10  # per room: 50 clients
#: seconds between one client's sends: under the platform's limit of 20 in 10 s per person, so
#: that every send is refused only when a process is down
INTERVAL = 0.6
#: more than any client sends before the restarts are over; the rest is dropped unsent then
MESSAGES = 400
POLL_EVERY = 0.1
RELEASE_SETTINGS = "tests.topology.release.settings"
DEADLINE = 90  # seconds for the clients to finish after the upgrade; far more than it takes


class BrowserClient(ChatClient):
    """A chat client whose socket goes to nginx as a browser's does, through the terminator."""

    port = 0

    def connect(self, url: str) -> Any:
        return connect(
            url,
            host="127.0.0.1",
            port=self.port,
            additional_headers={
                "Cookie": f"sessionid={self.cookie}",
                "Origin": ORIGIN,
                "X-Forwarded-Proto": "https",
            },
            ping_interval=None,
            open_timeout=10,
            max_size=2**22,
        )


@dataclass
class Poller:
    """GET a page through nginx every 100 ms; record when, and the status or the failure."""

    port: int
    path: str = "/accounts/login/"
    answers: list[tuple[float, str]] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stopped.is_set():
            began = time.monotonic()
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                connection.request(
                    "GET", self.path, headers={"Host": HOST, "X-Forwarded-Proto": "https"}
                )
                response = connection.getresponse()
                response.read()
                outcome = str(response.status)
            except OSError as error:
                outcome = type(error).__name__
            finally:
                connection.close()
            self.answers.append((began, outcome))
            self.stopped.wait(max(0.0, POLL_EVERY - (time.monotonic() - began)))

    def failures(self) -> list[tuple[float, str]]:
        return [(at, outcome) for at, outcome in self.answers if outcome != "200"]

    def longest_failure(self) -> float:
        """The longest span from a failed answer to the next good one, in seconds."""
        longest, since = 0.0, None
        for at, outcome in self.answers:
            if outcome != "200":
                since = at if since is None else since
            elif since is not None:
                longest, since = max(longest, at - since), None
        return longest


def manage(database_url: str, env: dict[str, str], *args: str) -> None:
    """``python manage.py ARGS`` with the release's code, as web1's entrypoint runs it."""
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={
            **os.environ,
            **env,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": RELEASE_SETTINGS,
        },
        check=True,
        timeout=120,
        capture_output=True,
    )


def through_nginx(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": HOST, "X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def rooms_with_members(settings) -> list[tuple[int, list[str]]]:
    """Five closed channels of ten professionals each: the room and its members' cookies."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    rooms = []
    for number in range(ROOMS):
        users = [
            ProfessionalFactory(user__email=f"upgrade-{number}-{index}@topology.example").user
            for index in range(MEMBERS)
        ]
        channel = channel_services.create_channel(
            by=users[0], kind=Channel.Kind.CLOSED, name=f"Wijkteam {number}"
        )
        for user in users[1:]:
            channel_services._add_member(channel, user)
        cookies = []
        for user in users:
            client = Client()
            client.force_login(user)
            cookies.append(client.cookies["sessionid"].value)
        rooms.append((channel.pk, cookies))
    return rooms


def test_a_rolling_upgrade_with_a_migration_loses_nothing(
    topology, production_keys, settings, shown
):
    rooms = rooms_with_members(settings)
    database_url = database_url_of_test_database()
    BrowserClient.port = topology.port
    clients = [
        BrowserClient(f"r{room}m{index}", cookie, [f"ws://{HOST}/ws/"], room, MESSAGES, INTERVAL)
        for room, cookies in rooms
        for index, cookie in enumerate(cookies)
    ]
    poller = Poller(topology.port)
    polling = threading.Thread(target=poller.run, daemon=True)
    restarts: list[tuple[str, float, float]] = []  # process, stopped at, healthy at
    migrated = False

    def upgrade() -> None:
        """Step 4 of the upgrade: web1, with the migration, then web2."""
        nonlocal migrated
        for index, name in enumerate(["web1", "web2"]):
            stopping = time.monotonic()
            topology.stop(index)
            if index == 0:
                manage(database_url, topology.env, "migrate", "--noinput")
                migrated = True
            topology.start(index, DJANGO_SETTINGS_MODULE=RELEASE_SETTINGS)
            # the container is healthy; the site answers through nginx
            assert through_nginx(topology.port, "/healthz") == 200
            restarts.append((name, stopping, time.monotonic()))

    async def drive() -> None:
        finished = asyncio.Event()
        tasks = [asyncio.create_task(client.run(finished)) for client in clients]

        async def every_client_acked(count: int, within: float) -> None:
            deadline = time.monotonic() + within
            while any(len(client.acked) < count for client in clients):
                for task in tasks:
                    if task.done() and task.exception():
                        raise task.exception()  # type: ignore[misc]
                if time.monotonic() > deadline:
                    behind = [c.name for c in clients if len(c.acked) < count]
                    raise AssertionError(f"{len(behind)} clients sent fewer than {count}")
                await asyncio.sleep(0.05)

        try:
            await every_client_acked(2, within=60)
            await asyncio.to_thread(upgrade)
            # everyone sends a few more on the new processes, then stops
            sent = {client.name: len(client.acked) for client in clients}
            deadline = time.monotonic() + DEADLINE
            while any(len(client.acked) < sent[client.name] + 3 for client in clients):
                assert time.monotonic() < deadline, "the clients stopped sending after the upgrade"
                await asyncio.sleep(0.05)
            for client in clients:
                client.stop_sending()
            while any(client.unacked for client in clients):
                assert time.monotonic() < deadline, "messages left unacknowledged"
                await asyncio.sleep(0.05)
            finished.set()
            await asyncio.wait_for(asyncio.gather(*tasks), 60)
        finally:
            for task in tasks:
                task.cancel()

    polling.start()
    try:
        asyncio.run(drive())
    finally:
        poller.stopped.set()
        polling.join()
        # as a rollback would: the next tests run on the schema they know
        if migrated:
            manage(database_url, topology.env, "migrate", "--noinput", "release", "zero")
        for index in range(len(topology.upstreams)):
            if not topology.is_running(index):
                topology.start(index)

    stored = Message.objects.filter(channel_id__in=[room for room, _cookies in rooms]).count()
    server_errors = [at for at, outcome in poller.answers if outcome.startswith("5")]
    summary = (
        f"sent {sum(len(c.to_send) for c in clients)}, "
        f"acknowledged {sum(len(c.acked) for c in clients)}, stored {stored}, "
        f"delivered {sum(len(c.history) for c in clients)}, "
        f"5xx seconds {len(server_errors) * POLL_EVERY:.1f} ({len(server_errors)} answers), "
        f"connections {sum(c.connections for c in clients)}, "
        f"error frames {sum(sum(c.errors.values()) for c in clients)}, "
        f"restarts {[(name, round(end - begin, 1)) for name, begin, end in restarts]}, "
        f"polls {len(poller.answers)}, failed {poller.failures()}"
    )
    shown(f"[rolling upgrade] {summary}")
    # every client reconnected at least once: both processes it could have been on restarted
    assert all(client.connections >= 2 for client in clients), summary
    for room, _cookies in rooms:
        rows = list(
            Message.objects.filter(channel_id=room)
            .order_by("seq")
            .values_list("seq", "id", "client_id")
        )
        members = [client for client in clients if client.room == room]
        meant = [client_id for client in members for client_id in client.to_send]
        # every message each member meant to send is stored exactly once, in unbroken order
        assert sorted(str(client_id) for _seq, _id, client_id in rows) == sorted(meant)
        assert [seq for seq, _id, _client_id in rows] == list(range(1, len(rows) + 1))
        by_client_id = {str(client_id): message_id for _seq, message_id, client_id in rows}
        expected = {seq: message_id for seq, message_id, _client_id in rows}
        for client in members:
            assert not client.unacked
            # every acknowledgement names the stored message
            assert all(by_client_id[cid] == message_id for cid, message_id in client.acked.items())
            # and every client ends with its room's full history, in order
            assert client.history == expected, f"{client.name} is missing messages"
    # nginx passed every page request to a process that was up
    assert poller.failures() == [], summary
    # and it kept asking while each process was down
    for _name, stopped, healthy in restarts:
        assert sum(stopped <= at <= healthy for at, _outcome in poller.answers) >= 10, summary
