"""Fan-out of one busy channel: the platform against a bare Channels relay.

One channel of 500 members, each with one socket, spread over two daphne processes that share
the Redis channel layer and PostgreSQL. A sender posts messages through the members' own
sockets at 1, 2, 5, 10 and 20 messages per second, 30 s per step; the same steps then run, in
the same run, against ``bench.bare_relay`` (no database, no authentication) on two daphne
processes. Per step and system: end-to-end latency (the sender's clock at sending to the
receiver's at receiving; one machine), deliveries, losses and the CPU of every process.

    nice -n 10 .venv/bin/python -m bench.fanout [--quick] [--write-docs]

The members are fictional (``lid<n>@fanout.bench.example``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench._common import (
    BASE_DIR,
    configure_django,
    cpu_reference_ms,
    markdown_table,
    percentile,
    recreate_database,
    write_section,
)

SECTION = "fanout"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/wijkplatform_bench_fanout"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
TARGET_P99_MS = 500.0
#: marks the benchmark's messages in the frames: ``fo <step> <n> <unix time sent>``
MARK = '"body":"fo '
SENDERS = 25  # sockets the sender posts through, round robin (keeps under the rate limit)


# ---- load generator (a separate process: ``python -m bench.fanout --worker``) ----------------


class Worker:
    """Holds its share of the members' sockets and records every benchmark message."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.sockets: list[Any] = []
        self.readers: list[asyncio.Task] = []
        # step -> per socket: set of message numbers; step -> latencies in ms
        self.seen: dict[int, list[set[int]]] = {}
        self.latencies: dict[int, list[float]] = {}
        self.failures: list[str] = []
        self.frames = 0  # every frame received, benchmark or not

    async def open(self, index: int, url: str, cookie: str, limit: asyncio.Semaphore) -> None:
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
                await ws.send(json.dumps({"type": "subscribe", "room": self.config["room"]}))
                async with asyncio.timeout(60):
                    while json.loads(await ws.recv())["type"] != "subscribed":
                        pass
            except Exception as error:
                self.failures.append(f"socket {index}: {error!r}")
                return
        self.sockets.append(ws)
        self.readers.append(asyncio.create_task(self.read(len(self.sockets) - 1, ws)))

    async def read(self, slot: int, ws: Any) -> None:
        clock = time.time
        try:
            async for text in ws:
                self.frames += 1
                start = text.find(MARK)
                if start < 0:
                    continue
                received = clock()
                end = text.index('"', start + len(MARK))
                step, number, sent = text[start + len(MARK) : end].split(" ")
                step_no = int(step)
                seen = self.seen.get(step_no)
                if seen is None:
                    seen = self.seen[step_no] = [set() for _ in range(len(self.config["urls"]))]
                    self.latencies[step_no] = []
                seen[slot].add(int(number))
                self.latencies[step_no].append(round((received - float(sent)) * 1000, 2))
        except Exception as error:  # a closed socket is a lost member: report it
            self.failures.append(f"socket {slot} closed: {error!r}")

    def delivered(self, step: int) -> int:
        return sum(len(numbers) for numbers in self.seen.get(step, []))

    async def run(self) -> None:
        limit = asyncio.Semaphore(25)
        await asyncio.gather(*(
            self.open(i, url, cookie, limit)
            for i, (url, cookie) in enumerate(zip(self.config["urls"], self.config["cookies"],
                                                  strict=True))
        ))  # fmt: skip
        self.answer({"ready": len(self.sockets), "failures": self.failures[:5]})
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            command = json.loads(line)
            if command["cmd"] == "frames":
                self.answer({"frames": self.frames})
            elif command["cmd"] == "count":
                self.answer({"delivered": self.delivered(command["step"])})
            elif command["cmd"] == "report":
                step = command["step"]
                self.answer({
                    "delivered": self.delivered(step),
                    "latencies": self.latencies.pop(step, []),
                    "failures": self.failures[:5],
                })  # fmt: skip
                self.seen.pop(step, None)
            elif command["cmd"] == "quit":
                break
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)

    @staticmethod
    def answer(payload: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(payload) + "\n")
        sys.stdout.flush()


def worker_main() -> int:
    config = json.loads(sys.stdin.readline())
    asyncio.run(Worker(config).run())
    return 0


class WorkerProcess:
    def __init__(self, config: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.fanout", "--worker"],
            cwd=BASE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ask(config, answer=False)

    def ask(self, payload: dict[str, Any], *, answer: bool = True) -> dict[str, Any]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(payload) + "\n")
        self.process.stdin.flush()
        return self.read() if answer else {}

    def read(self) -> dict[str, Any]:
        assert self.process.stdout
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("a load generator stopped")
        return json.loads(line)

    def stop(self) -> None:
        try:
            self.ask({"cmd": "quit"}, answer=False)
            self.process.wait(30)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            self.process.kill()
            self.process.wait()


# ---- servers ---------------------------------------------------------------------------------


class Daphne:
    def __init__(self, app: str, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        # as the Docker image runs it (config/daphne.py: frame limits, how it stops)
        command = [sys.executable, "-m", "config.daphne", "-b", "127.0.0.1", "-p", str(port),
                   "--websocket_connect_timeout", "30", app]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 (our own command line)
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"daphne did not start: {self.output()}") from None
                time.sleep(0.3)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- data ------------------------------------------------------------------------------------


def session_cookies(users: list[Any]) -> list[str]:
    """A signed-in session for each user, as Django's login makes it; the ``Cookie`` values."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    engine = import_module(settings.SESSION_ENGINE)
    cookies = []
    for user in users:
        store = engine.SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={store.session_key}")
    return cookies


def prepare_django(database_url: str) -> str:
    """A fresh, migrated benchmark database and production-like settings; the secret key."""
    from cryptography.fernet import Fernet

    secret = secrets.token_urlsafe(40)
    os.environ |= {
        "SECRET_KEY": secret,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MFA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ACCESS_LOG_KEYS": f"bench:{secrets.token_urlsafe(32)}",
    }
    recreate_database(database_url)
    configure_django(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return secret


def server_environment(database_url: str, redis_url: str, secret: str) -> dict[str, str]:
    """What the daphne processes under test run with: production settings, our services."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secret,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def publish(section: str, text: str, write_docs: bool) -> None:
    print(text)
    if write_docs:
        write_section(section, text)
        print(f"\nUpdated the {section} section of docs/BENCHMARKS.md.", file=sys.stderr)


def make_members(count: int) -> tuple[int, list[str]]:
    """A closed channel with ``count`` verified members; (channel id, one session cookie each)."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from channels_app import services
    from channels_app.models import Channel, Membership
    from directory.models import Professional

    password = make_password(None)  # nobody signs in with a password
    users = User.objects.bulk_create(
        User(email=f"lid{n}@fanout.bench.example", display_name=f"Lid {n:03d}", password=password)
        for n in range(count)
    )
    Professional.objects.bulk_create(Professional(user=u, verified=True) for u in users)
    channel = services.create_channel(by=users[0], kind=Channel.Kind.CLOSED, name="Drukte")
    Membership.objects.bulk_create(Membership(channel=channel, user=u) for u in users[1:])
    return channel.pk, session_cookies(users)


# ---- measuring -------------------------------------------------------------------------------


@dataclass
class Step:
    system: str
    rate: int
    seconds: float
    sent: int = 0
    errors: int = 0
    expected: int = 0
    delivered: int = 0
    latencies: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    drain_s: float = 0.0

    @property
    def lost(self) -> int:
        return self.expected - self.delivered

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)

    @property
    def sustained(self) -> bool:
        return self.sent > 0 and self.lost == 0 and self.errors == 0 and self.p99 < TARGET_P99_MS


class CpuMeter:
    """CPU of named processes between ``start()`` and ``stop()``, in % of one core.

    A group is a list of pids, or the name of a server program whose processes are looked up
    at every start (PostgreSQL starts a process per connection). Processes that end during
    the step are left out rather than counted negative.
    """

    def __init__(self, groups: dict[str, list[int] | str]) -> None:
        self.groups = groups

    def _processes(self, group: list[int] | str) -> list[Any]:
        import psutil

        pids = service_pids(group) if isinstance(group, str) else group
        found = []
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                found.append(psutil.Process(pid))
        return found

    @staticmethod
    def _seconds(process: Any) -> float | None:
        import psutil

        try:
            times = process.cpu_times()
        except psutil.Error:
            return None
        return times.user + times.system

    def start(self) -> None:
        import psutil

        self.began = time.monotonic()
        self.before = {
            name: [(p, self._seconds(p)) for p in self._processes(group)]
            for name, group in self.groups.items()
        }
        self.machine_before = psutil.cpu_times()

    def stop(self) -> dict[str, float]:
        import psutil

        wall = time.monotonic() - self.began
        result = {}
        for name, processes in self.before.items():
            used = 0.0
            for process, before in processes:
                after = self._seconds(process)
                if before is not None and after is not None:
                    used += after - before
            result[name] = 100 * used / wall
        after = psutil.cpu_times()
        busy = sum(
            getattr(after, f) - getattr(self.machine_before, f)
            for f in ("user", "nice", "system", "irq", "softirq", "steal")
        )
        result["machine (all processes)"] = 100 * busy / wall
        return result


def service_pids(name: str) -> list[int]:
    import psutil

    return [p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == name]


async def send_steps(
    system: str,
    urls: list[str],
    cookies: list[str],
    room: int,
    rates: list[int],
    seconds: float,
    workers: list[WorkerProcess],
    meter: CpuMeter,
    members: int,
    first_step: int,
) -> list[Step]:
    from websockets.asyncio.client import connect

    senders = []
    for index in range(min(SENDERS, len(cookies))):
        url = urls[index % len(urls)]
        origin = url.replace("ws://", "http://").removesuffix("/ws/")
        senders.append(
            await connect(
                url,
                additional_headers={"Cookie": cookies[index], "Origin": origin},
                ping_interval=None,
                max_queue=None,
                compression=None,
            )
        )
    errors = [0]

    async def drain(ws: Any) -> None:
        async for text in ws:
            if '"type":"error"' in text:
                errors[0] += 1
                if errors[0] <= 3:
                    print(f"  error frame: {text[:200]}", file=sys.stderr)

    readers = [asyncio.create_task(drain(ws)) for ws in senders]
    steps = []
    for offset, rate in enumerate(rates):
        number = first_step + offset
        step = Step(system, rate, seconds)
        errors[0] = 0
        print(f"{system}: {rate} messages/s for {seconds:g} s…", file=sys.stderr)
        meter.start()
        began = time.monotonic()
        total = int(rate * seconds)
        for n in range(total):
            due = began + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            ws = senders[n % len(senders)]
            await ws.send(json.dumps({
                "type": "send", "room": room, "client_id": str(uuid.uuid4()),
                "body": f"fo {number} {n} {time.time():.6f}",
            }))  # fmt: skip
            step.sent += 1
        await asyncio.sleep(max(0.0, began + seconds - time.monotonic()))
        step.cpu = meter.stop()
        step.expected = step.sent * members
        # Wait for the stragglers: until everything arrived or nothing moved for 5 s.
        drain_began = time.monotonic()
        last, still = -1, time.monotonic()
        while time.monotonic() - drain_began < 90:
            await asyncio.sleep(1)
            counts = await asyncio.gather(
                *(asyncio.to_thread(w.ask, {"cmd": "count", "step": number}) for w in workers)
            )
            delivered = sum(c["delivered"] for c in counts)
            if delivered >= step.expected:
                break
            if delivered != last:
                last, still = delivered, time.monotonic()
            elif time.monotonic() - still > 5:
                break
        step.drain_s = time.monotonic() - drain_began
        await asyncio.sleep(0.5)  # late error frames
        step.errors = errors[0]
        reports = await asyncio.gather(
            *(asyncio.to_thread(w.ask, {"cmd": "report", "step": number}) for w in workers)
        )
        step.delivered = sum(r["delivered"] for r in reports)
        for report in reports:
            step.latencies.extend(report["latencies"])
            for failure in report["failures"]:
                print(f"  {failure}", file=sys.stderr)
        print(
            f"  sent {step.sent}, delivered {step.delivered:,} of {step.expected:,}, "
            f"p50 {step.p50:.0f} ms, p99 {step.p99:.0f} ms, errors {step.errors}",
            file=sys.stderr,
        )
        steps.append(step)
        await asyncio.sleep(2)
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*(ws.close() for ws in senders), return_exceptions=True)
    return steps


def run_system(
    system: str,
    app: str,
    env: dict[str, str],
    cookies: list[str],
    room: int,
    args: argparse.Namespace,
    first_step: int,
) -> list[Step]:
    servers = [Daphne(app, free_port(), env) for _ in range(args.processes)]
    workers: list[WorkerProcess] = []
    try:
        urls = [servers[i % len(servers)].url for i in range(len(cookies))]
        share = -(-len(cookies) // args.clients)
        for w in range(args.clients):
            part = slice(w * share, (w + 1) * share)
            workers.append(WorkerProcess({"room": room, "urls": urls[part],
                                          "cookies": cookies[part]}))  # fmt: skip
        ready = [w.read() for w in workers]
        connected = sum(r["ready"] for r in ready)
        if connected != len(cookies):
            raise RuntimeError(f"{system}: only {connected} of {len(cookies)} sockets got in: "
                               f"{[r['failures'] for r in ready]}")  # fmt: skip
        print(f"{system}: {connected} members connected and subscribed.", file=sys.stderr)
        # Wait until the connects have settled (no frame anywhere for 3 s) before measuring.
        quiet_began, last, unchanged = time.monotonic(), -1, 0
        while unchanged < 3 and time.monotonic() - quiet_began < 300:
            time.sleep(1)
            frames = sum(w.ask({"cmd": "frames"})["frames"] for w in workers)
            unchanged = unchanged + 1 if frames == last else 0
            last = frames
        print(
            f"{system}: quiet after {time.monotonic() - quiet_began:.0f} s "
            f"({last:,} frames during the connects).",
            file=sys.stderr,
        )
        groups: dict[str, list[int] | str] = {
            f"daphne {i + 1}": [s.process.pid] for i, s in enumerate(servers)
        }
        groups |= {f"load generator {i + 1}": [w.process.pid] for i, w in enumerate(workers)}
        groups["sender (this process)"] = [os.getpid()]
        groups["redis-server"] = "redis-server"
        groups["postgres (all)"] = "postgres"
        meter = CpuMeter(groups)
        return asyncio.run(
            send_steps(system, [s.url for s in servers], cookies, room, args.rates,
                       args.seconds, workers, meter, len(cookies), first_step)
        )  # fmt: skip
    finally:
        for worker in workers:
            worker.stop()
        for server in servers:
            server.stop()


# ---- report ----------------------------------------------------------------------------------


def machine(database_url: str) -> str:
    import psutil
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as conn:
        server = conn.info.server_version
    system = platform.system()
    with_release = getattr(platform, "freedesktop_os_release", None)
    if with_release is not None:
        with contextlib.suppress(OSError):
            system = with_release().get("PRETTY_NAME", system)
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GiB, {system}, "
        f"PostgreSQL {server // 10000}.{server % 10000}, Python {platform.python_version()} "
        f"(reference loop {cpu_reference_ms():.0f} ms, see Machine)"
    )


def best(steps: list[Step]) -> int:
    return max((s.rate for s in steps if s.sustained), default=0)


def report(args: argparse.Namespace, steps: list[Step], load: tuple[float, float]) -> str:
    platform_steps = [s for s in steps if s.system == "platform"]
    bare_steps = [s for s in steps if s.system == "bare relay"]
    rows = []
    for s in steps:
        rows.append([
            s.system, s.rate, s.sent, f"{s.delivered:,}", f"{s.lost:,}", s.errors,
            f"{s.p50:.0f}", f"{s.p99:.0f}", f"{s.drain_s:.1f}",
            f"{s.rate * len_members(args):,}", "yes" if s.sustained else "no",
        ])  # fmt: skip
    table = markdown_table(
        ["system", "msg/s", "sent", "delivered", "lost", "error frames", "p50 ms", "p99 ms",
         "drain s", "deliveries/s", "sustained"],
        rows,
    )  # fmt: skip
    names = [n for n in steps[0].cpu] if steps else []
    cpu_rows = [[s.system, s.rate, *(f"{s.cpu.get(n, 0):.0f}" for n in names)] for s in steps]
    cpu_table = markdown_table(["system", "msg/s", *names], cpu_rows)
    p_best, b_best = best(platform_steps), best(bare_steps)
    ratio = f"{p_best / b_best:.0%}" if b_best else "n/a (the bare relay sustained no step)"
    today = datetime.now(UTC).date().isoformat()
    from django.conf import settings

    layer = settings.CHANNEL_LAYER
    return f"""
Measured {today} on {machine(args.database_url)}.

```
{command_line()}
```

{len_members(args)} members of one closed channel, one socket each, spread evenly over
{args.processes} daphne processes (Redis channel layer `CHANNEL_LAYER={layer}`,
`config.settings.CHANNEL_LAYERS`); the
load generator is {args.clients} separate processes (asyncio and `websockets`) signed in with
sessions made by Django's session machinery. The sender posts `send` frames through
{SENDERS} of the members' own sockets in turn at a fixed rate for {args.seconds:g} s per step;
latency runs from the sender's clock at sending to the receiver's at receiving (the message is
stored, broadcast after commit and delivered to every member, the sender included). "Lost" is
what had not arrived when nothing more arrived for 5 s after the step; "drain" is how long
that took. The bare relay (`bench/bare_relay.py`) is one Channels consumer that relays `send`
to the group through Channels' standard Redis layer (`CHANNEL_LAYER=redis`): no database, no
authentication. Load average
(1 min) of the machine at the start and the end: {load[0]:.1f} and {load[1]:.1f}; other work on
the two cores shows up in the upper percentiles.

{table}

CPU during each step's {args.seconds:g} s of sending, in % of one core (the machine has
{os.cpu_count()}; "postgres (all)" and "redis-server" include other users of those servers):

{cpu_table}

Highest rate sustained with p99 under {TARGET_P99_MS:.0f} ms and nothing lost: platform
**{p_best} messages/s** ({p_best * len_members(args):,} deliveries/s), bare relay
**{b_best} messages/s** ({b_best * len_members(args):,} deliveries/s); platform / bare relay:
**{ratio}**.
"""


def len_members(args: argparse.Namespace) -> int:
    return args.members


def command_line() -> str:
    arguments = [a for a in sys.argv[1:] if a != "--write-docs"]
    return " ".join(
        ["nice -n 10 .venv/bin/python -m bench.fanout", *map(shlex.quote, arguments)]
    ).strip()


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--members", type=int, default=None, help="default 500")
    parser.add_argument(
        "--rates", default=None, help="messages per second, comma-separated (default 1,2,5,10,20)"
    )
    parser.add_argument("--seconds", type=float, default=None, help="per step (default 30)")
    parser.add_argument("--processes", type=int, default=2, help="daphne processes per system")
    parser.add_argument("--clients", type=int, default=2, help="load generator processes")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help="a Redis database no test run flushes meanwhile (default %(default)s)",
    )
    parser.add_argument(
        "--only", choices=["platform", "bare"], default=None, help="run one system only"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 members, 5 s steps")
    parser.add_argument(
        "--write-docs", action="store_true", help="update the section in docs/BENCHMARKS.md"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.members is None:
        args.members = 100 if args.quick else 500
    if args.seconds is None:
        args.seconds = 5.0 if args.quick else 30.0
    if args.rates is None:
        args.rates = "1,5" if args.quick else "1,2,5,10,20"
    args.rates = [int(r) for r in args.rates.split(",")]
    if args.members < SENDERS or args.processes < 1 or args.clients < 1:
        parser.error(f"use at least {SENDERS} members, 1 process and 1 client")
    return args


def main(argv: list[str] | None = None) -> int:
    if argv is None and "--worker" in sys.argv[1:]:
        return worker_main()
    args = parse(argv)
    try:
        import psutil  # noqa: F401
    except ImportError:
        raise SystemExit("bench.fanout needs psutil: pip install -e '.[dev]'") from None

    secret = prepare_django(args.database_url)
    from django.db import connection

    print(f"Making {args.members} members…", file=sys.stderr)
    room, cookies = make_members(args.members)
    connection.close()

    env = server_environment(args.database_url, args.redis_url, secret)
    load_before = os.getloadavg()[0]
    steps: list[Step] = []
    systems = [
        ("platform", "config.asgi:application"),
        ("bare relay", "bench.bare_relay:application"),
    ]
    if args.only:
        systems = [s for s in systems if s[0].startswith(args.only)]
    for offset, (system, app) in enumerate(systems):
        steps += run_system(system, app, env, cookies, room, args, first_step=offset * 100)
    publish(SECTION, report(args, steps, (load_before, os.getloadavg()[0])), args.write_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
