"""Nothing lost under faults: a daphne process killed, Redis restarted, PostgreSQL stopped,
channel-layer events dropped. Each run uses its own PostgreSQL cluster and Redis server.

In every scenario 20 clients, spread over two daphne processes, exchange 2,000 messages in
one room. Afterwards every acknowledged message is stored exactly once, every message a
client meant to send was acknowledged in the end, and every client holds the room's full
history in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from websockets.exceptions import ConnectionClosed

from tests.faults.client import ChatClient, connect_as
from tests.faults.services import Daphne, Postgres, Redis, manage
from tests.servers import ROOT

pytestmark = pytest.mark.faults

CLIENTS = 20
MESSAGES = 100  # per client: 2,000 in all
INTERVAL = 0.01
DEADLINE = 420  # seconds for one scenario's exchange; far more than it takes


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    server = Postgres()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def redis() -> Iterator[Redis]:
    server = Redis()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def environment(postgres, redis) -> dict[str, str]:
    env = {
        "DATABASE_URL": postgres.url,
        "REDIS_URL": redis.url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # the limit is not under test here; the clients send as fast as they are answered
        "MESSAGE_RATE_LIMIT_COUNT": "100000",
        "DATABASE_POOL_MAX": "10",
    }
    manage(env, "migrate", "--noinput")
    return env


def prepare(env: dict[str, str], name: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tests.faults.prepare", name, str(CLIENTS)],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def stored(postgres: Postgres, room: int) -> list[tuple[int, int, str]]:
    with psycopg.connect(postgres.url.replace("postgres://", "postgresql://")) as connection:
        return connection.execute(
            "SELECT seq, id, client_id::text FROM channels_app_message "
            "WHERE channel_id = %s ORDER BY seq",
            [room],
        ).fetchall()


@pytest.fixture
def report(capsys) -> Callable[[str, list[ChatClient], int], None]:
    """Print what happened, also when the test passes, so a reader sees nothing was lost."""

    def write(name: str, clients: list[ChatClient], stored_count: int) -> None:
        history = sum(len(client.history) for client in clients)
        live = sum(len(client.live) for client in clients)
        line = (
            f"[faults] {name}: sent {sum(len(c.to_send) for c in clients)}, "
            f"acknowledged {sum(len(c.acked) for c in clients)}, stored {stored_count}, "
            f"delivered {history} ({live} live, {history - live} through sync) to "
            f"{len(clients)} clients, error frames {sum(sum(c.errors.values()) for c in clients)}, "
            f"connections {sum(c.connections for c in clients)}"
        )
        with capsys.disabled():
            print("\n" + line)

    return write


def exchange(
    env: dict[str, str],
    postgres: Postgres,
    name: str,
    fault: Callable[[list[Daphne]], None] | None,
    report: Callable[[str, list[ChatClient], int], None],
    extra_env: dict[str, str] | None = None,
) -> list[ChatClient]:
    data = prepare(env, name)
    servers = [Daphne({**env, **(extra_env or {})}) for _ in range(2)]
    try:
        clients = [
            ChatClient(
                f"c{index}",
                cookie,
                # half start on each process and fail over to the other
                [servers[index % 2].ws_url, servers[(index + 1) % 2].ws_url],
                data["room"],
                MESSAGES,
                INTERVAL,
            )
            for index, cookie in enumerate(data["cookies"])
        ]
        asyncio.run(_drive(clients, servers, fault))
    finally:
        logs = [server.output() for server in servers]
        for server in servers:
            server.close()

    rows = stored(postgres, data["room"])
    report(name, clients, len(rows))
    seqs = [seq for seq, _id, _client in rows]
    client_ids = [client_id for _seq, _id, client_id in rows]
    # every message each client meant to send is stored, exactly once, in one unbroken order
    assert len(rows) == CLIENTS * MESSAGES, logs
    assert seqs == list(range(1, len(rows) + 1))
    assert len(set(client_ids)) == len(client_ids)
    by_client_id = {client_id: message_id for _seq, message_id, client_id in rows}
    expected = {seq: message_id for seq, message_id, _client in rows}
    for client in clients:
        assert not client.unacked
        # every acknowledgement names the stored message
        assert all(by_client_id[cid] == message_id for cid, message_id in client.acked.items())
        # and every client ends with the full history, in order
        assert client.history == expected, f"{client.name} is missing messages"
    return clients


async def _drive(
    clients: list[ChatClient],
    servers: list[Daphne],
    fault: Callable[[list[Daphne]], None] | None,
) -> None:
    finished = asyncio.Event()
    tasks = [asyncio.create_task(client.run(finished)) for client in clients]
    total = CLIENTS * MESSAGES
    started = time.monotonic()

    async def acked_at_least(count: int) -> None:
        while sum(len(client.acked) for client in clients) < count:
            if time.monotonic() - started > DEADLINE:
                progress = sum(len(client.acked) for client in clients)
                raise AssertionError(f"only {progress} of {total} messages acknowledged")
            for task in tasks:
                if task.done() and task.exception():
                    raise task.exception()
            await asyncio.sleep(0.05)

    try:
        if fault is not None:
            await acked_at_least(total // 4)
            await asyncio.to_thread(fault, servers)
        await acked_at_least(total)
        finished.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
    finally:
        for task in tasks:
            task.cancel()


def test_killing_a_daphne_process_loses_nothing(environment, postgres, report):
    def kill_first(servers: list[Daphne]) -> None:
        servers[0].kill()

    clients = exchange(environment, postgres, "kill", kill_first, report)
    # the clients of the killed process came back, on the other one
    assert sum(client.connections for client in clients) >= CLIENTS + CLIENTS // 2


def test_restarting_redis_loses_nothing(environment, postgres, redis, report):
    def restart(_servers: list[Daphne]) -> None:
        redis.restart(down_for=1.0)

    exchange(environment, postgres, "redis", restart, report)


def test_stopping_postgresql_refuses_sends_and_loses_nothing(environment, postgres, report):
    def outage(_servers: list[Daphne]) -> None:
        postgres.stop()
        time.sleep(4)
        postgres.start()

    clients = exchange(environment, postgres, "postgres", outage, report)
    # sends during the outage were answered with error frames, not acknowledgements
    assert sum(sum(client.errors.values()) for client in clients) > 0


def test_events_dropped_by_the_channel_layer_are_filled_by_sync(environment, postgres, report):
    # the standard layer with a tiny per-process capacity drops most broadcasts under this load
    # (the pub/sub layer keeps no queue in Redis that could overflow)
    clients = exchange(
        environment, postgres, "capacity", None, report,
        extra_env={"CHANNEL_LAYER": "redis", "CHANNEL_LAYER_CAPACITY": "2"},
    )  # fmt: skip
    missed_live = [len(client.history) - len(client.live) for client in clients]
    assert sum(missed_live) > CLIENTS * MESSAGES // 10


READERS = 6
DEAF_AFTER = 10.0  # seconds within which every open socket must hear broadcasts again


def _flushall(redis: Redis) -> None:
    import redis as redis_py

    with redis_py.Redis.from_url(redis.url) as client:
        client.flushall()


LAYER_LOSSES: dict[str, Callable[[Redis], None]] = {
    "flushall": _flushall,
    "restart": lambda redis: redis.restart(down_for=1.0),
}


@pytest.mark.parametrize("loss", list(LAYER_LOSSES))
def test_no_socket_stays_deaf_when_the_layer_loses_its_state(environment, redis, loss):
    """Sockets open on two processes while Redis is flushed or restarted: within 10 s every
    socket that is still open receives broadcasts again (a socket may also be closed, so that its
    client reconnects and syncs), and a revocation still reaches its socket."""
    data = prepare(environment, f"deaf-{loss}")
    servers = [Daphne(environment) for _ in range(2)]

    async def scenario() -> tuple[dict[int, float | None], int | None]:
        sockets = []
        for index, cookie in enumerate(data["cookies"][: READERS + 1]):
            ws = await connect_as(servers[index % 2].ws_url, cookie, open_timeout=10)
            await ws.send(json.dumps({"type": "subscribe", "room": data["room"], "ref": "s"}))
            await _frame(ws, lambda f: f.get("type") == "subscribed")
            sockets.append(ws)
        sender, readers = sockets[0], sockets[1:]
        await asyncio.to_thread(LAYER_LOSSES[loss], redis)
        lost_at = time.monotonic()
        # the sender posts a probe a second; each reader notes when the first arrives live
        heard: dict[int, float | None] = dict.fromkeys(range(READERS))

        async def listen(index: int, ws) -> None:
            with contextlib.suppress(ConnectionClosed):
                await _frame(ws, lambda f: f.get("type") == "message.created"
                             and f["body"].startswith("probe"))  # fmt: skip
                heard[index] = time.monotonic() - lost_at

        listeners = [asyncio.create_task(listen(i, ws)) for i, ws in enumerate(readers)]
        probe = 0
        while time.monotonic() - lost_at < DEAF_AFTER + 5 and not all(
            task.done() for task in listeners
        ):
            probe += 1
            await sender.send(json.dumps({
                "type": "send", "room": data["room"], "body": f"probe {probe}",
                "client_id": str(uuid.uuid4()), "ref": f"p{probe}",
            }))  # fmt: skip
            await asyncio.sleep(1)
        for task in listeners:
            task.cancel()
        # sockets the server closed count as heard: their clients reconnect and sync
        for index, ws in enumerate(readers):
            if heard[index] is None and ws.close_code is not None:
                heard[index] = 0.0
        # a right taken away after the loss still ends the socket of the person it concerns
        revoked = readers[-1]
        await asyncio.to_thread(
            manage, environment, "shell", "-c",
            "from accounts.models import User; from core.protocol import rights_changed; "
            f"User.objects.filter(pk={data['users'][READERS]}).update(is_active=False); "
            f"rights_changed({data['users'][READERS]})",
        )  # fmt: skip
        with contextlib.suppress(ConnectionClosed, TimeoutError):
            async with asyncio.timeout(DEAF_AFTER):
                async for _ in revoked:
                    pass
        code = revoked.close_code
        for ws in sockets:
            await ws.close()
        return heard, code

    try:
        heard, code = asyncio.run(scenario())
    finally:
        logs = [server.output() for server in servers]
        for server in servers:
            server.close()
    deaf = [index for index, at in heard.items() if at is None or at > DEAF_AFTER]
    assert deaf == [], (heard, logs)
    assert code == 4401, (code, logs)


async def _frame(ws, wanted: Callable[[dict], bool], timeout: float = 30) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if wanted(frame):
                return frame
