"""Nothing lost under faults: a daphne process killed, Redis restarted (also one of two Redis
servers of the channel layer), PostgreSQL stopped, channel-layer events dropped. Each run uses
its own PostgreSQL cluster and Redis servers.

In most scenarios 20 clients, spread over two daphne processes, exchange 2,000 messages in
one room. Afterwards every acknowledged message is stored exactly once, every message a
client meant to send was acknowledged in the end, and every client holds the room's full
history in order.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import psycopg
import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from config.env import redis_database
from tests.faults.client import ChatClient, connect_as
from tests.faults.services import Daphne, Postgres, Redis, manage, redis_servers
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


def prepare(env: dict[str, str], name: str, clients: int = CLIENTS) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tests.faults.prepare", name, str(clients)],
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
def report(shown) -> Callable[..., None]:
    """Print what happened, also when the test passes, so a reader sees nothing was lost."""

    def write(name: str, clients: list[ChatClient], stored_count: int, more: str = "") -> None:
        history = sum(len(client.history) for client in clients)
        live = sum(len(client.live) for client in clients)
        line = (
            f"[faults] {name}: sent {sum(len(c.to_send) for c in clients)}, "
            f"acknowledged {sum(len(c.acked) for c in clients)}, stored {stored_count}, "
            f"delivered {history} ({live} live, {history - live} through sync) to "
            f"{len(clients)} clients, error frames {sum(sum(c.errors.values()) for c in clients)}, "
            f"connections {sum(c.connections for c in clients)}{more}"
        )
        shown(line)

    return write


def exchange(
    env: dict[str, str],
    postgres: Postgres,
    name: str,
    fault: Callable[[list[Daphne]], None] | None,
    report: Callable[..., None],
    extra_env: dict[str, str] | None = None,
    *,
    count: int = CLIENTS,
    messages: int = MESSAGES,
    interval: float = INTERVAL,
    data: dict | None = None,
    strike_at: float = 0.25,
    more: Callable[[], str] = str,
) -> list[ChatClient]:
    """``count`` clients (of ``data``, else new ones) send ``messages`` each, ``interval``
    seconds apart; ``fault`` strikes when the share ``strike_at`` of them is acknowledged;
    ``more`` adds to the printed counts."""
    data = data or prepare(env, name, count)
    servers = [Daphne({**env, **(extra_env or {})}) for _ in range(2)]
    try:
        clients = [
            ChatClient(
                f"c{index}",
                cookie,
                # half start on each process and fail over to the other
                [servers[index % 2].ws_url, servers[(index + 1) % 2].ws_url],
                data["room"],
                messages,
                interval,
            )
            for index, cookie in enumerate(data["cookies"])
        ]
        asyncio.run(_drive(clients, servers, fault, strike_at))
    finally:
        logs = [server.output() for server in servers]
        for server in servers:
            server.close()

    rows = stored(postgres, data["room"])
    report(name, clients, len(rows), more())
    seqs = [seq for seq, _id, _client in rows]
    client_ids = [client_id for _seq, _id, client_id in rows]
    # every message each client meant to send is stored, exactly once, in one unbroken order
    assert len(rows) == count * messages, logs
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
    strike_at: float,
) -> None:
    finished = asyncio.Event()
    tasks = [asyncio.create_task(client.run(finished)) for client in clients]
    total = sum(len(client.to_send) for client in clients)
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
            await acked_at_least(int(total * strike_at))
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


def test_stopping_a_daphne_process_closes_its_sockets_at_once_and_loses_nothing(
    environment, postgres, report
):
    """SIGTERM, as an upgrade or ``docker compose stop`` sends it: every socket of the process
    is closed with 4503 (reconnect and sync) at once and the process is gone within seconds,
    not after Docker's 10 s; its clients carry on at the other process."""
    stopped: list[float] = []

    def stop_first(servers: list[Daphne]) -> None:
        began = time.monotonic()
        servers[0].process.terminate()
        servers[0].process.wait(10)
        stopped.append(time.monotonic() - began)

    clients = exchange(environment, postgres, "stop", stop_first, report)
    closes = sum((client.closes for client in clients), Counter())
    assert stopped[0] < 5, f"the process exited {stopped[0]:.1f} s after SIGTERM"
    # the half of the clients on the stopped process were told, none found out by a dead socket
    assert closes[4503] >= CLIENTS // 2, closes
    assert not closes[1006], closes


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


def _load_pages(urls: list[str], cookie: str, stop: threading.Event) -> tuple[int, set[int]]:
    """Load ``urls`` in turn, eight a second, until ``stop``: how many answered 200, and the
    seconds in which one answered with a server error (or not at all)."""
    loaded, failed = 0, set()
    started = time.monotonic()
    while not stop.is_set():
        for url in urls:
            request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    response.read()
                    loaded += response.status == 200
            except urllib.error.HTTPError as error:
                if error.code >= 500:
                    failed.add(int(time.monotonic() - started))
            except OSError:
                failed.add(int(time.monotonic() - started))
            stop.wait(0.125)
    return loaded, failed


def _shard_of_group(kind: str, urls: list[str], group: str) -> int:
    """The index of the layer's Redis server that holds ``group``, as the platform's layer
    (``config.settings``) chooses it."""
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    from core.layerwatch import shard_of

    async def find() -> int:
        if kind == "redis":
            return shard_of(RedisChannelLayer(hosts=urls), group)
        prefix = "asgi-db" + "-".join(str(redis_database(url)) for url in urls)
        return shard_of(RedisPubSubChannelLayer(hosts=urls, prefix=prefix), group)

    return asyncio.run(find())


@pytest.fixture(scope="module")
def layer_shards() -> Iterator[list[Redis]]:
    with redis_servers(2) as servers:
        yield servers


@pytest.mark.parametrize("layer", ["redis-pubsub", "redis"])
def test_restarting_one_of_two_layer_servers_loses_nothing(
    environment, postgres, redis, layer_shards, report, layer
):
    """The channel layer on two Redis servers, the cache on a third. Ten clients on two
    processes send a message every half second; two seconds in, the layer server that holds
    the room's group restarts. Nothing acknowledged is lost, every client ends with the full
    history, no page fails (the cache is elsewhere), and every client hears messages live
    again: those sent more than ``DEAF_AFTER`` seconds after the restart reach every one of
    them without ``sync``."""
    urls = [server.url for server in layer_shards]
    env = {
        **environment,
        "CHANNEL_LAYER": layer,
        "REDIS_LAYER_URLS": ",".join(urls),
        "REDIS_CACHE_URL": redis.url,
    }
    count, messages = 10, 32
    data = prepare(env, f"shards-{layer}", count)
    shard = layer_shards[_shard_of_group(layer, urls, f"channel.{data['room']}")]
    after: dict[str, int] = {}
    failed: set[int] = set()  # seconds in which a page load failed

    def restart_one(servers: list[Daphne]) -> None:
        stop = threading.Event()
        pages = [f"http://127.0.0.1:{server.port}/channels/{data['room']}/" for server in servers]
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            polling = pool.submit(_load_pages, pages, data["cookies"][0], stop)
            time.sleep(0.5)
            shard.restart(down_for=1.0)
            time.sleep(DEAF_AFTER)
            # every message from here on must reach every client live
            after["seq"] = max((seq for seq, _id, _client in stored(postgres, data["room"])))
            stop.set()
            after["pages"], seconds = polling.result()
            failed.update(seconds)

    clients = exchange(
        env, postgres, f"two layer servers ({layer}), one restarted", restart_one, report,
        count=count, messages=messages, interval=0.5, data=data, strike_at=0.1,
        more=lambda: f", pages {after.get('pages', 0)}, 5xx seconds {len(failed)}",
    )  # fmt: skip
    total = count * messages
    assert after["seq"] < total - count, "too few messages were sent after the restart"
    deaf = [c.name for c in clients if not any(seq > after["seq"] for seq in c.live)]
    assert deaf == []
    assert failed == set()
    assert after["pages"] > 0
    # the cache (rate limits) answered throughout: no send was refused
    assert sum(sum(client.errors.values()) for client in clients) == 0


READERS = 6
DEAF_AFTER = 10.0  # seconds within which every open socket must hear broadcasts again


def _flush(redis: Redis, *, everything: bool) -> None:
    import redis as redis_py

    with redis_py.Redis.from_url(redis.url) as client:
        if everything:
            client.flushall()
        else:
            client.flushdb()


LAYER_LOSSES: dict[str, Callable[[Redis], None]] = {
    "flushall": lambda redis: _flush(redis, everything=True),
    "flushdb": lambda redis: _flush(redis, everything=False),
    "restart": lambda redis: redis.restart(down_for=1.0),
}


async def _open(url: str, cookie: str, room: int, *, within: float = 30):
    """A socket subscribed to ``room``; tries again while the server cannot take it yet."""
    deadline = time.monotonic() + within
    while True:
        try:
            ws = await connect_as(url, cookie, open_timeout=10)
            await ws.send(json.dumps({"type": "subscribe", "room": room, "ref": "s"}))
            await _frame(ws, lambda f: f.get("type") == "subscribed", timeout=10)
            return ws
        except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _post(ws, room: int, body: str) -> None:
    await ws.send(json.dumps({
        "type": "send", "room": room, "body": body, "client_id": str(uuid.uuid4()),
    }))  # fmt: skip


async def _revoked_close_code(ws, environment: dict[str, str], code: str) -> int | None:
    """Run ``code`` (which takes the socket's right away) and wait for the socket to close."""
    await asyncio.to_thread(manage, environment, "shell", "-c", code)
    with contextlib.suppress(ConnectionClosed, TimeoutError):
        async with asyncio.timeout(DEAF_AFTER):
            async for _ in ws:
                pass
    return ws.close_code


@pytest.mark.parametrize("layer", ["redis-pubsub", "redis"])
@pytest.mark.parametrize("loss", list(LAYER_LOSSES))
def test_no_socket_stays_deaf_when_the_layer_loses_its_state(environment, redis, loss, layer):
    """Sockets open on two processes while Redis is flushed or restarted: within 10 s every
    socket that is still open receives broadcasts again (a socket may also be closed, so that its
    client reconnects and syncs), and a deactivation or an ended session still closes its
    socket. On both layers: the standard one keeps its groups in Redis, where a flush or a
    restart loses them."""
    data = prepare(environment, f"deaf-{loss}-{layer}")
    environment = {**environment, "CHANNEL_LAYER": layer}
    servers = [Daphne(environment) for _ in range(2)]
    room = data["room"]

    async def scenario() -> tuple[dict[int, float | None], list[int | None]]:
        sockets = []
        for index, cookie in enumerate(data["cookies"][: READERS + 1]):
            sockets.append(await _open(servers[index % 2].ws_url, cookie, room))
        sender, readers = sockets[0], sockets[1:]
        await asyncio.to_thread(LAYER_LOSSES[loss], redis)
        lost_at = time.monotonic()
        # the sender posts a probe a second; each reader notes when the first arrives live
        heard: dict[int, float | None] = dict.fromkeys(range(READERS))

        async def listen(index: int, ws) -> None:
            with contextlib.suppress(ConnectionClosed):
                await _frame(ws, lambda f: f.get("type") == "message.created"
                             and f["body"].startswith("probe"), timeout=60)  # fmt: skip
                heard[index] = time.monotonic() - lost_at

        listeners = [asyncio.create_task(listen(i, ws)) for i, ws in enumerate(readers)]
        probe = 0
        while time.monotonic() - lost_at < DEAF_AFTER + 5 and not all(
            task.done() for task in listeners
        ):
            probe += 1
            try:
                await _post(sender, room, f"probe {probe}")
            except ConnectionClosed:  # the sender's own socket was closed: it comes back
                sender = await _open(servers[0].ws_url, data["cookies"][0], room)
            await asyncio.sleep(1)
        for task in listeners:
            task.cancel()
        # sockets the server closed count as heard: their clients reconnect and sync
        for index, ws in enumerate(readers):
            if heard[index] is None and ws.close_code is not None:
                heard[index] = 0.0
        # a right taken away after the loss still ends the socket of the person it concerns
        # (a socket the loss closed comes back first, as its client would)
        codes = []
        for index, code in [
            (READERS, "from accounts.models import User; "
                      f"User.objects.filter(pk={data['users'][READERS]}).update(is_active=False); "
                      "from core.protocol import rights_changed; "
                      f"rights_changed({data['users'][READERS]})"),
            (READERS - 1, "from django.contrib.sessions.models import Session; "
                          f"Session.objects.get(session_key='{data['cookies'][READERS - 1]}')"
                          ".delete()"),
        ]:  # fmt: skip
            ws = readers[index - 1]
            if ws.close_code is not None:
                ws = await _open(servers[index % 2].ws_url, data["cookies"][index], room)
            codes.append(await _revoked_close_code(ws, environment, code))
        for ws in [sender, *readers]:
            await ws.close()
        return heard, codes

    try:
        heard, codes = asyncio.run(scenario())
    finally:
        logs = [server.output() for server in servers]
        for server in servers:
            server.close()
    deaf = [index for index, at in heard.items() if at is None or at > DEAF_AFTER]
    assert deaf == [], (heard, logs)
    assert codes == [4401, 4401], (codes, logs)


def test_sockets_still_hear_after_their_groups_would_have_expired(environment):
    """The standard layer forgets a membership ``group_expiry`` seconds after it was added:
    a socket open for longer still receives broadcasts, and still closes when its user is
    deactivated."""
    data = prepare(environment, "expiry")
    expiry = 10
    environment = {
        **environment, "CHANNEL_LAYER": "redis", "CHANNEL_LAYER_GROUP_EXPIRY": str(expiry),
    }  # fmt: skip
    servers = [Daphne(environment) for _ in range(2)]
    room = data["room"]

    async def scenario() -> tuple[list[str], int | None]:
        sockets = [
            await _open(servers[index % 2].ws_url, cookie, room)
            for index, cookie in enumerate(data["cookies"][:3])
        ]
        await asyncio.sleep(2.5 * expiry)
        await _post(sockets[0], room, "after the expiry")
        bodies = [
            (await _frame(ws, lambda f: f.get("type") == "message.created", timeout=10))["body"]
            for ws in sockets[1:]
        ]
        user = data["users"][2]
        code = await _revoked_close_code(
            sockets[2], environment,
            "from accounts.models import User; from core.protocol import rights_changed; "
            f"User.objects.filter(pk={user}).update(is_active=False); rights_changed({user})",
        )  # fmt: skip
        for ws in sockets:
            await ws.close()
        return bodies, code

    try:
        bodies, code = asyncio.run(scenario())
    finally:
        logs = [server.output() for server in servers]
        for server in servers:
            server.close()
    assert bodies == ["after the expiry"] * 2, logs
    assert code == 4401, (code, logs)


async def _frame(ws, wanted: Callable[[dict], bool], timeout: float = 30) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if wanted(frame):
                return frame
