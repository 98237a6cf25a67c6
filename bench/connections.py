"""Idle connections: how many signed-in websockets two daphne processes hold, and at what cost.

Opens N authenticated websockets (each a verified professional with a session, subscribed to a
channel, as an open browser tab is), spread evenly over two daphne processes that share Redis
and PostgreSQL, from separate load-generator processes. Measures the resident memory of the
daphne processes before and after, keeps the sockets idle for a while, then checks with a
``ping`` on every socket that each is still open and answering.

    nice -n 10 .venv/bin/python -m bench.connections [--connections 5000] [--write-docs]

The people are fictional (``lid<n>@fanout.bench.example``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench._common import (
    BASE_DIR,
    markdown_table,
)
from bench.fanout import (
    Daphne,
    WorkerProcess,
    free_port,
    machine,
    prepare_django,
    publish,
    server_environment,
    session_cookies,
)

SECTION = "connections"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/wijkplatform_bench_connections"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
TARGET_CONNECTIONS = 5000
TARGET_KIB = 50


# ---- data ------------------------------------------------------------------------------------


def make_people(count: int, per_channel: int) -> list[tuple[int, str]]:
    """Verified professionals in closed channels of ``per_channel``; (channel, cookie) each."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from channels_app import services
    from channels_app.models import Channel, Membership
    from directory.models import Professional

    password = make_password(None)  # nobody signs in with a password
    users = User.objects.bulk_create(
        (User(email=f"lid{n}@connections.bench.example", display_name=f"Lid {n:04d}",
              password=password) for n in range(count)),
        batch_size=2000,
    )  # fmt: skip
    Professional.objects.bulk_create((Professional(user=u, verified=True) for u in users),
                                     batch_size=2000)  # fmt: skip
    rooms: list[int] = []
    memberships = []
    for start in range(0, count, per_channel):
        group = users[start : start + per_channel]
        channel = services.create_channel(by=group[0], kind=Channel.Kind.CLOSED,
                                          name=f"Team {start // per_channel + 1}")  # fmt: skip
        rooms += [channel.pk] * len(group)
        memberships += [Membership(channel=channel, user=u) for u in group[1:]]
    Membership.objects.bulk_create(memberships, batch_size=5000)
    return list(zip(rooms, session_cookies(users), strict=True))


# ---- load generator (a separate process) ----------------------------------------------------


class Holder:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.sockets: list[Any] = []
        self.failures: list[str] = []

    async def open(self, url: str, cookie: str, room: int, limit: asyncio.Semaphore) -> None:
        from websockets.asyncio.client import connect

        origin = url.replace("ws://", "http://").removesuffix("/ws/")
        async with limit:
            try:
                ws = await connect(
                    url,
                    additional_headers={"Cookie": cookie, "Origin": origin},
                    open_timeout=60,
                    ping_interval=None,
                    max_queue=None,
                    compression=None,
                )
                await ws.send(json.dumps({"type": "subscribe", "room": room}))
                async with asyncio.timeout(60):
                    while json.loads(await ws.recv())["type"] != "subscribed":
                        pass
            except Exception as error:
                self.failures.append(repr(error)[:200])
                return
        self.sockets.append(ws)

    async def drain(self, ws: Any) -> None:
        # frames that arrive while connecting: read them off
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 0.01)
        except (TimeoutError, Exception):
            return

    async def alive(self) -> int:
        async def ping(index: int, ws: Any) -> bool:
            try:
                await self.drain(ws)
                await ws.send(json.dumps({"type": "ping", "ref": f"p{index}"}))
                async with asyncio.timeout(30):
                    while True:
                        frame = json.loads(await ws.recv())
                        if frame.get("type") == "pong":
                            return True
            except Exception:
                return False

        answers = await asyncio.gather(*(ping(i, ws) for i, ws in enumerate(self.sockets)))
        return sum(answers)

    async def run(self) -> None:
        limit = asyncio.Semaphore(50)
        await asyncio.gather(*(
            self.open(url, cookie, room, limit)
            for url, cookie, room in zip(self.config["urls"], self.config["cookies"],
                                         self.config["rooms"], strict=True)
        ))  # fmt: skip
        _answer({"open": len(self.sockets), "failures": self.failures[:5]})
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            command = json.loads(line)
            if command["cmd"] == "alive":
                _answer({"alive": await self.alive()})
            elif command["cmd"] == "quit":
                break
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


def _answer(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def worker_main() -> int:
    _raise_file_limit()
    config = json.loads(sys.stdin.readline())
    asyncio.run(Holder(config).run())
    return 0


class HolderProcess(WorkerProcess):
    def __init__(self, config: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.connections", "--worker"],
            cwd=BASE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ask(config, answer=False)


def _raise_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ---- controller ------------------------------------------------------------------------------


def rss(pids: list[int]) -> list[int]:
    import psutil

    return [psutil.Process(pid).memory_info().rss for pid in pids]


def run(args: argparse.Namespace, people: list[tuple[int, str]], env: dict[str, str]) -> dict:
    servers = [Daphne("config.asgi:application", free_port(), env) for _ in range(2)]
    holders: list[HolderProcess] = []

    def hold(part: list[tuple[int, str]], first: int) -> HolderProcess:
        return HolderProcess({
            "rooms": [room for room, _cookie in part],
            "cookies": [cookie for _room, cookie in part],
            "urls": [servers[(first + i) % 2].url for i in range(len(part))],
        })  # fmt: skip

    try:
        pids = [s.process.pid for s in servers]
        time.sleep(2)
        started = rss(pids)
        # The first sockets of a process also pay for what it sets up once: database
        # connections, thread pools, code loaded on first use. They are measured apart.
        warm = min(args.warm_up, len(people) // 2)
        holders.append(hold(people[:warm], 0))
        ready = [holders[0].read()]
        time.sleep(2)
        before = rss(pids)
        rest = people[warm:]
        share = -(-len(rest) // args.clients)
        began = time.monotonic()
        for w in range(args.clients):
            holders.append(hold(rest[w * share : (w + 1) * share], warm + w * share))
        ready += [h.read() for h in holders[1:]]
        opened = sum(r["open"] for r in ready)
        connect_s = time.monotonic() - began
        failures = [f for r in ready for f in r["failures"]]
        print(f"{opened:,} of {len(people):,} sockets open after {connect_s:.0f} s; holding "
              f"them idle for {args.hold:.0f} s…", file=sys.stderr)  # fmt: skip
        time.sleep(args.hold)
        after = rss(pids)
        alive = sum(h.ask({"cmd": "alive"})["alive"] for h in holders)
        import psutil

        generator = sum(psutil.Process(h.process.pid).memory_info().rss for h in holders)
        return {
            "asked": len(people), "opened": opened, "warm": ready[0]["open"], "alive": alive,
            "connect_s": connect_s, "started": started, "before": before, "after": after,
            "failures": failures[:5], "generator_rss": generator,
        }  # fmt: skip
    finally:
        for holder in holders:
            holder.stop()
        for server in servers:
            server.stop()


def report(args: argparse.Namespace, result: dict, load: tuple[float, float]) -> str:
    rows = []
    for i, (started, before, after) in enumerate(
        zip(result["started"], result["before"], result["after"], strict=True)
    ):
        rows.append([f"daphne {i + 1}", f"{started / 2**20:,.1f}", f"{before / 2**20:,.1f}",
                     f"{after / 2**20:,.1f}", f"{(after - before) / 2**20:,.1f}"])  # fmt: skip
    headers = ["process", "RSS started MiB", f"RSS with {result['warm']:,} sockets MiB",
               "RSS with all sockets MiB", "grew for the rest MiB"]  # fmt: skip
    later = result["opened"] - result["warm"]
    per = (sum(result["after"]) - sum(result["before"])) / max(1, later) / 1024
    overall = (sum(result["after"]) - sum(result["started"])) / max(1, result["opened"]) / 1024
    held = result["alive"]
    verdict = (
        "met" if held >= TARGET_CONNECTIONS and per < TARGET_KIB and result["opened"] == held
        else "not met"
    )  # fmt: skip
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine(args.database_url)}.",
        "",
        "```",
        command_line(),
        "```",
        "",
        f"{result['asked']:,} verified professionals, each with its own session, open one "
        "websocket each to `/ws/` and subscribe to their team's closed channel "
        f"({args.channel_size} members each); users "
        f"alternate between two daphne processes (Redis channel layer). The first "
        f"{result['warm']:,} sockets warm the processes up; {args.clients} more "
        "load-generator processes open the rest. After all are open they stay idle for "
        f"{args.hold:.0f} s; then every socket is sent a `ping` and must answer `pong`. "
        f"Load average (1 min) at the start and the end: {load[0]:.1f} and {load[1]:.1f}.",
        "",
        markdown_table(headers, rows),
        "",
        f"Opened: **{result['opened']:,}** of {result['asked']:,} ({later:,} after the warm-up "
        f"in {result['connect_s']:.0f} s); still open and answering after {args.hold:.0f} s "
        f"idle: **{held:,}**. Memory per connection on the server: **{per:.1f} KiB** (growth "
        f"of both processes' resident memory while the {later:,} sockets after the warm-up "
        f"opened, divided by them); counting the warm-up too, {overall:.1f} KiB. The load "
        f"generators used {result['generator_rss'] / 2**20:,.0f} MiB. Target: "
        f"{TARGET_CONNECTIONS:,} connections under {TARGET_KIB} KiB each — **{verdict}**.",
    ]
    if result["failures"]:
        lines += ["", "First failures: " + "; ".join(f"`{f}`" for f in result["failures"])]
    return "\n".join(lines) + "\n"


def command_line() -> str:
    arguments = [a for a in sys.argv[1:] if a != "--write-docs"]
    return " ".join(["nice -n 10 .venv/bin/python -m bench.connections",
                     *map(shlex.quote, arguments)])  # fmt: skip


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.connections")
    parser.add_argument("--connections", type=int, default=TARGET_CONNECTIONS)
    parser.add_argument("--hold", type=float, default=60.0, help="idle seconds before the check")
    parser.add_argument("--clients", type=int, default=4, help="load generator processes")
    parser.add_argument("--warm-up", type=int, default=100, help="sockets opened first, apart")
    parser.add_argument("--channel-size", type=int, default=50, help="members per channel")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--quick", action="store_true", help="500 connections, 10 s idle")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.connections, args.hold, args.clients = 500, 10.0, 2
    return args


def main(argv: list[str] | None = None) -> int:
    if argv is None and "--worker" in sys.argv[1:]:
        return worker_main()
    args = parse(argv)
    limit = _raise_file_limit()
    if limit < args.connections + 1000:
        raise SystemExit(f"The open-file limit ({limit}) is too low for {args.connections} "
                         "sockets: raise it with ulimit -n.")  # fmt: skip
    secret = prepare_django(args.database_url)
    from django.db import connection

    print(f"Making {args.connections:,} professionals…", file=sys.stderr)
    people = make_people(args.connections, args.channel_size)
    connection.close()
    env = server_environment(args.database_url, args.redis_url, secret)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    load_before = os.getloadavg()[0]
    result = run(args, people, env)
    publish(SECTION, report(args, result, (load_before, os.getloadavg()[0])), args.write_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
