"""Case-room reads in parallel: how many reads a second the access log lets through.

Every read of case content writes an access-log entry (NEN 7513), and the entries form one
chain for the whole platform. This measures what that costs when many people read at once:
``--readers`` threads (default 50), spread over ``--processes`` processes, each read what the
room page does in the database (``privacy.access.room_for``, the latest 50 messages, the
access-log entry, the read marker), as fast as they can for ``--seconds``. A second step adds
``--writers`` threads that post messages (``privacy.services.post_message``, two a second each)
in the same rooms: a post writes its log entry inside its own transaction. At the end
``manage.py verify_access_log`` checks that the chain the parallel writers made is intact.

    nice -n 10 .venv/bin/python -m bench.case_reads [--quick] [--write-docs]

The readers are fictional (``lezer<n>@reads.bench.example``); there is no template rendering,
middleware or HTTP in a read, so that the database side (where the log's lock is) dominates.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._common import (
    BASE_DIR,
    configure_django,
    cpu_reference_ms,
    markdown_table,
    percentile,
    recreate_database,
    settle_database,
    write_section,
)

SECTION = "case_reads"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/wijkplatform_bench_case_reads"
ADDRESS = "192.0.2.10"  # documentation range (RFC 5737)


def production_environment(database_url: str, threads: int) -> dict[str, str]:
    """Settings as in production (DEBUG off: no query log), a throw-away key for everything."""
    from cryptography.fernet import Fernet

    # a new checkpoint file for the new database (an old one would not match it)
    scratch = Path(tempfile.mkdtemp(prefix="wijkplatform-bench-case-reads-"))
    return {
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MFA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ACCESS_LOG_KEYS": f"bench:{secrets.token_urlsafe(32)}",
        "ACCESS_LOG_CHECKPOINT_FILE": str(scratch / "checkpoints.jsonl"),
        # one connection per thread, as each reader would have its own request
        "DATABASE_POOL_MIN": "1",
        "DATABASE_POOL_MAX": str(threads + 2),
        "LOG_LEVEL": "WARNING",
    }


# ---- the readers (a separate process: ``python -m bench.case_reads --worker``) ----------------


def read_once(user: Any, room_id: int) -> None:
    """What ``privacy.views.room_detail`` does in the database, without the template."""
    from privacy import access, audit, services
    from privacy.models import CaseMessage

    rights = access.room_for(user, room_id, address=ADDRESS)
    page = list(
        CaseMessage.objects.filter(room=rights.room)
        .select_related("author")
        .prefetch_related("files")
        .order_by("-seq")[:50]
    )
    audit.record(
        action=audit.Action.READ,
        user=user,
        object_type="case_message",
        object_id=f"{page[-1].seq}-{page[0].seq}" if page else room_id,
        room_id=room_id,
        role=rights.role,
        purpose=rights.purpose,
        address=ADDRESS,
        detail="room page",
    )
    if page:
        services.mark_read(rights, user=user, seq=rights.room.last_seq)


def worker_main() -> int:
    config = json.loads(sys.stdin.readline())
    import django

    django.setup()
    from django.db import connection

    from accounts.models import User
    from privacy import services

    users = {u.pk: u for u in User.objects.filter(pk__in=[r[0] for r in config["readers"]])}
    connection.close()
    results: dict[str, Any] = {"latencies": [], "writes": 0, "errors": []}
    lock = threading.Lock()
    start_at, end_at = config["start_at"], config["start_at"] + config["seconds"]

    def reader(user_id: int, room_id: int) -> None:
        user = User.objects.get(pk=user_id)  # its own object: access caches on it
        mine: list[float] = []
        time.sleep(max(0.0, start_at - time.time()))
        try:
            while time.time() < end_at:
                began = time.perf_counter()
                read_once(user, room_id)
                mine.append((time.perf_counter() - began) * 1000)
        except Exception as error:
            with lock:
                results["errors"].append(repr(error)[:200])
        finally:
            connection.close()
        with lock:
            results["latencies"].extend(mine)

    def writer(user_id: int, room_id: int) -> None:
        author = users[user_id]
        written = 0
        time.sleep(max(0.0, start_at - time.time()))
        try:
            number = 0
            while time.time() < end_at:
                number += 1
                began = time.monotonic()
                services.post_message(room_id, author=author, body=f"Bericht {number}")
                written += 1
                time.sleep(max(0.0, 0.5 - (time.monotonic() - began)))  # 2/s: under the limit
        except Exception as error:
            with lock:
                results["errors"].append(repr(error)[:200])
        finally:
            connection.close()
        with lock:
            results["writes"] += written

    threads = [threading.Thread(target=reader, args=tuple(r)) for r in config["readers"]]
    threads += [threading.Thread(target=writer, args=tuple(w)) for w in config["writers"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sys.stdout.write(json.dumps(results) + "\n")
    return 0


# ---- the run -----------------------------------------------------------------------------------


def make_rooms(readers: int, messages: int) -> list[tuple[int, int]]:
    """One room per reader, who coordinates it, with ``messages`` messages; (user, room) pairs."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import User
    from directory.models import Professional
    from privacy.models import CaseMember, CaseMessage, CaseRoom

    password = make_password(None)  # nobody signs in
    users = User.objects.bulk_create(
        User(email=f"lezer{n}@reads.bench.example", display_name=f"Lezer {n:03d}",
             password=password)
        for n in range(readers)
    )  # fmt: skip
    Professional.objects.bulk_create(Professional(user=u, verified=True) for u in users)
    now = timezone.now()
    rooms = CaseRoom.objects.bulk_create(
        CaseRoom(pseudonym=f"Gezin {n}", purpose="Benchmark", coordinator=u, created_by=u,
                 last_seq=messages, last_message_at=now)
        for n, u in enumerate(users)
    )  # fmt: skip
    CaseMember.objects.bulk_create(
        CaseMember(room=r, user=u, role=CaseMember.Role.COORDINATOR,
                   status=CaseMember.Status.ACTIVE, joined_at=now)
        for r, u in zip(rooms, users, strict=True)
    )  # fmt: skip
    CaseMessage.objects.bulk_create(
        (
            CaseMessage(room=r, seq=seq, author=u, body=f"Bericht {seq}",
                        body_html=f"<p>Bericht {seq}</p>", created_at=now)
            for r, u in zip(rooms, users, strict=True)
            for seq in range(1, messages + 1)
        ),
        batch_size=2000,
    )  # fmt: skip
    return [(u.pk, r.pk) for u, r in zip(users, rooms, strict=True)]


def run_step(
    args: argparse.Namespace, pairs: list[tuple[int, int]], writers: int, env: dict[str, str]
) -> dict[str, Any]:
    per_process = [pairs[i :: args.processes] for i in range(args.processes)]
    writer_pairs = [pairs[i % len(pairs)] for i in range(writers)]
    per_writer = [writer_pairs[i :: args.processes] for i in range(args.processes)]
    start_at = time.time() + 8  # every process has set Django up by then
    processes = []
    for readers, posting in zip(per_process, per_writer, strict=True):
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.case_reads", "--worker"],
            cwd=BASE_DIR,
            env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        config = {"readers": readers, "writers": posting, "start_at": start_at,
                  "seconds": args.seconds}  # fmt: skip
        assert process.stdin is not None
        process.stdin.write(json.dumps(config) + "\n")
        process.stdin.flush()
        processes.append(process)
    latencies: list[float] = []
    writes = 0
    errors: list[str] = []
    for process in processes:
        out, _err = process.communicate(timeout=args.seconds + 120)
        result = json.loads(out.strip().splitlines()[-1])
        latencies += result["latencies"]
        writes += result["writes"]
        errors += result["errors"]
    return {
        "writers": writers,
        "reads": len(latencies),
        "rate": len(latencies) / args.seconds,
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "writes": writes,
        "errors": errors,
    }


def verify_chain() -> str:
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    try:
        call_command("verify_access_log", stdout=out)
    except CommandError as error:
        return f"BROKEN: {error}"
    return out.getvalue().strip().splitlines()[-1]


def machine(database_url: str) -> str:
    import psutil
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as conn:
        server = conn.info.server_version
        commit = conn.execute("SHOW synchronous_commit").fetchone()
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GiB, PostgreSQL {server // 10000}.{server % 10000} "
        f"(synchronous_commit {commit[0] if commit else '?'}), Python "
        f"{platform.python_version()} (reference loop {cpu_reference_ms():.0f} ms, see Machine)"
    )


def report(args: argparse.Namespace, steps: list[dict[str, Any]], load: tuple[float, float],
           verified: str) -> str:  # fmt: skip
    rows = [
        [s["writers"], f"{s['reads']:,}", f"{s['rate']:,.0f}", f"{s['p50']:.1f}",
         f"{s['p95']:.1f}", f"{s['p99']:.1f}", s["writes"], len(s["errors"])]
        for s in steps
    ]  # fmt: skip
    table = markdown_table(
        ["writers", "reads", "reads/s", "p50 ms", "p95 ms", "p99 ms", "messages posted",
         "errors"],
        rows,
    )  # fmt: skip
    today = datetime.now(UTC).date().isoformat()
    errors = [e for s in steps for e in s["errors"]][:3]
    return f"""
Measured {today} on {machine(args.database_url)}.

```
{command_line()}
```

{args.readers} readers (threads, each with its own database connection) over
{args.processes} processes, each reading its own room of {args.messages} messages as fast as it
can for {args.seconds:g} s; with writers, that many more threads post two messages a second each
in the same rooms. Load average (1 min) at the start and the end: {load[0]:.1f} and
{load[1]:.1f}.

{table}

Chain check afterwards (`manage.py verify_access_log`): {verified}
{"Errors: " + "; ".join(errors) if errors else ""}
"""


def command_line() -> str:
    arguments = [a for a in sys.argv[1:] if a != "--write-docs"]
    return " ".join(
        ["nice -n 10 .venv/bin/python -m bench.case_reads", *map(shlex.quote, arguments)]
    ).strip()


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.case_reads", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--processes", type=int, default=2, help="reader processes")
    parser.add_argument("--writers", type=int, default=None, help="posting threads (default 5)")
    parser.add_argument("--seconds", type=float, default=None, help="per step (default 20)")
    parser.add_argument("--messages", type=int, default=50, help="messages per room")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 readers, 3 s steps")
    parser.add_argument(
        "--write-docs", action="store_true", help="update the section in docs/BENCHMARKS.md"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.readers = min(args.readers, 10)
    if args.seconds is None:
        args.seconds = 3.0 if args.quick else 20.0
    if args.writers is None:
        args.writers = 2 if args.quick else 5
    if args.readers < 1 or args.processes < 1 or args.processes > args.readers:
        parser.error("use at least one reader per process")
    return args


def main(argv: list[str] | None = None) -> int:
    if argv is None and "--worker" in sys.argv[1:]:
        return worker_main()
    args = parse(argv)
    threads = -(-(args.readers + args.writers) // args.processes)
    env = production_environment(args.database_url, threads)
    os.environ |= env
    recreate_database(args.database_url)
    configure_django(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    print(f"Making {args.readers} rooms…", file=sys.stderr)
    pairs = make_rooms(args.readers, args.messages)
    settle_database()
    connection.close()
    load_start = os.getloadavg()[0]
    steps = []
    for writers in (0, args.writers) if args.writers else (0,):
        print(f"Reading with {args.readers} readers and {writers} writers…", file=sys.stderr)
        steps.append(run_step(args, pairs, writers, env))
    load = (load_start, os.getloadavg()[0])
    text = report(args, steps, load, verify_chain())
    print(text)
    if args.write_docs:
        write_section(SECTION, text)
        print(f"\nUpdated the {SECTION} section of docs/BENCHMARKS.md.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
