"""The backup and restore drill (docs/DEPLOY.md, "Backup and restore"), on throw-away clusters.

The demo, with a file in a channel and one in the case room, an access-log read and a
checkpoint, is loaded into one PostgreSQL cluster; ``manage.py backup`` writes an archive, and
``manage.py restore`` puts it into a second, empty cluster with empty MEDIA_ROOT and checkpoint
file. Then every table holds the same rows, every file the same bytes, ``verify_access_log``
finds the restored log intact against the restored checkpoints, and a demo login works on a
daphne process serving the restored database.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import subprocess
import sys
import tarfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet

from demo.directory import DEMO_PASSWORD, demo_email
from tests.faults.services import Postgres
from tests.servers import ROOT, free_port, serve

pytestmark = pytest.mark.faults


@dataclass
class Side:
    """One installation: its own cluster, uploads directory and checkpoint file."""

    postgres: Postgres
    env: dict[str, str]

    @property
    def media(self) -> Path:
        return Path(self.env["MEDIA_ROOT"])

    @property
    def checkpoints(self) -> Path:
        return Path(self.env["ACCESS_LOG_CHECKPOINT_FILE"])


@dataclass
class Drill:
    source: Side
    target: Side
    archive: Path
    restore_output: str
    seconds: dict[str, float]
    #: the tables, files and checkpoints of the source and of the restored copy, just after it
    rows: tuple[dict[str, list[tuple[Any, ...]]], dict[str, list[tuple[Any, ...]]]]
    files: tuple[dict[str, bytes], dict[str, bytes]]
    checkpoints: tuple[bytes, bytes]


def manage(side: Side, *args: str, stdin: Any = None, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **side.env, **env}
    environment.pop("DEBUG", None)  # the default, on: seed_demo needs it
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        stdin=stdin,
        capture_output=True,
        timeout=300,
    )
    # text, unless it is an archive on standard output
    if args[-1] != "-" or args[0] != "backup":
        result.stdout = result.stdout.decode()
    result.stderr = result.stderr.decode()
    return result


def ok(result: subprocess.CompletedProcess) -> Any:
    assert result.returncode == 0, f"{result.args[2:]} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


def side(base: Path, name: str, postgres: Postgres, keys: dict[str, str]) -> Side:
    return Side(postgres, {
        **keys,
        "DATABASE_URL": postgres.url,
        "MEDIA_ROOT": str(base / name / "media"),
        "ACCESS_LOG_CHECKPOINT_FILE": str(base / name / "access-log" / "checkpoints.jsonl"),
        "REDIS_URL": "",  # each installation on its own: no shared cache or channel layer
    })  # fmt: skip


@pytest.fixture(scope="module")
def drill(tmp_path_factory) -> Iterator[Drill]:
    base = tmp_path_factory.mktemp("drill")
    # The keys live outside the backup; the restored installation is given the same ones.
    keys = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ACCESS_LOG_KEYS": f"drill:{secrets.token_urlsafe(32)}",
        "MFA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    seconds: dict[str, float] = {}
    clusters: list[Postgres] = []
    # the empty installation's cluster starts while the demo is loaded into the source's
    pool = ThreadPoolExecutor(1)
    empty_cluster = pool.submit(Postgres)
    try:
        started = time.monotonic()
        clusters.append(Postgres())
        source = side(base, "source", clusters[0], keys)
        ok(manage(source, "migrate", "--noinput"))
        ok(manage(source, "seed_demo"))
        prepared = subprocess.run(
            [sys.executable, "-m", "tests.backup.prepare"],
            cwd=ROOT,
            env={**os.environ, **source.env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert prepared.returncode == 0, prepared.stdout + prepared.stderr
        seconds["demo"] = time.monotonic() - started
        clusters.append(empty_cluster.result())
        target = side(base, "target", clusters[1], keys)
        started = time.monotonic()
        backups = base / "backups"
        backups.mkdir()
        ok(manage(source, "backup", "--output", str(backups)))
        (archive,) = backups.iterdir()  # wijkplatform-<time>.tar
        seconds["backup"] = time.monotonic() - started
        started = time.monotonic()
        # as docs/DEPLOY.md restores into a container: the archive on standard input
        with archive.open("rb") as stdin:
            restore_output = ok(manage(target, "restore", "-", stdin=stdin))
        seconds["restore"] = time.monotonic() - started
        yield Drill(
            source,
            target,
            archive,
            restore_output,
            seconds,
            rows=(table_rows(source.postgres.url), table_rows(target.postgres.url)),
            files=(files(source.media), files(target.media)),
            checkpoints=(source.checkpoints.read_bytes(), target.checkpoints.read_bytes()),
        )
    finally:
        pool.shutdown()
        if not empty_cluster.exception() and empty_cluster.result() not in clusters:
            clusters.append(empty_cluster.result())
        for cluster in clusters:
            cluster.close()


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the public schema, in a stable order."""
    with psycopg.connect(url) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {
            table: sorted(
                connection.execute(f'SELECT * FROM "{table}"').fetchall(),  # noqa: S608
                key=repr,
            )
            for table in tables
        }


def files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def test_the_restored_copy_holds_every_row_file_and_checkpoint(drill, shown):
    before, after = drill.rows
    assert sorted(after) == sorted(before)
    for table, rows in before.items():
        assert after[table] == rows, f"{table} differs after the restore"

    # what the drill is about is there, and more than the empty tables of a fresh install
    messages = len(before["channels_app_message"])
    case_messages = len(before["privacy_casemessage"])
    log_entries = len(before["privacy_accesslogentry"])
    assert messages > 0 and case_messages > 0 and log_entries > 0
    assert before["privacy_caseroom"] and before["privacy_consent"]
    assert before["privacy_casemember"] and before["privacy_accesslogseal"]
    original_files, restored_files = drill.files
    assert restored_files == original_files
    for table in ("channels_app_attachment", "privacy_casefile"):
        with psycopg.connect(drill.source.postgres.url) as connection:
            names = [row[0] for row in connection.execute(f'SELECT file FROM "{table}"')]  # noqa: S608
        assert names, f"{table} has no file"
        for name in names:
            assert restored_files[name] == original_files[name]

    assert drill.checkpoints[1] == drill.checkpoints[0]
    checkpoint_lines = len(drill.checkpoints[0].splitlines())
    assert checkpoint_lines >= 2  # the one before the backup and the backup's own

    assert "all as the manifest says" in drill.restore_output
    shown(
        f"[backup] restored {sum(map(len, after.values()))} rows in {len(after)} tables: "
        f"{messages} channel messages, {case_messages} case-room messages, "
        f"{len(restored_files)} files ({sum(map(len, restored_files.values()))} bytes), "
        f"{log_entries} access-log entries, {checkpoint_lines} checkpoints; "
        f"archive {drill.archive.stat().st_size} bytes; demo "
        f"{drill.seconds['demo']:.1f} s, backup {drill.seconds['backup']:.1f} s, restore "
        f"{drill.seconds['restore']:.1f} s"
    )


def test_the_restored_access_log_verifies_against_the_restored_checkpoints(drill):
    output = ok(manage(drill.target, "verify_access_log"))
    with psycopg.connect(drill.source.postgres.url) as connection:
        (entries,) = connection.execute("SELECT count(*) FROM privacy_accesslogentry").fetchone()
    lines = len(drill.target.checkpoints.read_bytes().splitlines())
    assert f"Access log intact: {entries} entries and {lines} checkpoints checked." in output

    # without the key it was signed with, the restored log cannot be verified
    other_key = f"other:{secrets.token_urlsafe(32)}"
    refused = manage(drill.target, "verify_access_log", ACCESS_LOG_KEYS=other_key)
    assert refused.returncode == 1
    assert "Access log broken" in refused.stderr


def test_the_restored_platform_serves_the_demo_logins(drill):
    port = free_port()
    with serve(
        [sys.executable, "-m", "config.daphne", "-b", "127.0.0.1", "-p", str(port),
         "config.asgi:application"],
        port,
        database_url=drill.target.postgres.url,
        **drill.target.env,
    ) as base:  # fmt: skip
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        with browser.open(f"{base}/accounts/login/", timeout=10) as response:
            form = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        assert token, form
        login = urllib.request.Request(
            f"{base}/accounts/login/",
            data=urllib.parse.urlencode(
                {"csrfmiddlewaretoken": token[1], "login": demo_email("beheer"),
                 "password": DEMO_PASSWORD}
            ).encode(),
            headers={"Origin": base, "Referer": f"{base}/accounts/login/"},
        )  # fmt: skip
        with browser.open(login, timeout=10) as response:
            home = response.read().decode()
            assert response.url == f"{base}/", home


def test_a_restore_into_a_database_with_tables_is_refused_and_changes_nothing(drill):
    target = drill.target
    with psycopg.connect(target.postgres.url) as connection:
        before = connection.execute("SELECT count(*) FROM channels_app_message").fetchone()
    media = files(target.media)
    checkpoints = target.checkpoints.read_bytes()

    refused = manage(target, "restore", str(drill.archive))

    assert refused.returncode == 1
    assert "is not empty" in refused.stderr
    assert "Nothing was changed." in refused.stderr
    with psycopg.connect(target.postgres.url) as connection:
        after = connection.execute("SELECT count(*) FROM channels_app_message").fetchone()
    assert after == before
    assert files(target.media) == media
    assert target.checkpoints.read_bytes() == checkpoints


def test_a_backup_streamed_to_standard_output_is_a_whole_archive(drill):
    result = manage(drill.target, "backup", "--output", "-")

    assert result.returncode == 0, result.stderr
    assert "Backup written to standard output" in result.stderr
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = set(tar.getnames())
        assert names == {*manifest["members"], "manifest.json"}
        for name, expect in manifest["members"].items():
            data = tar.extractfile(name).read()
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (
                expect["sha256"],
                expect["size"],
            )
    assert manifest["counts"]["privacy_casefile"] == 1
    assert len(manifest["media"]) == len(files(drill.source.media))


def empty_installation(drill: Drill, base: Path) -> Side:
    """A new database on the target's cluster, with its own uploads and checkpoint file."""
    name = f"empty_{secrets.token_hex(4)}"
    with psycopg.connect(drill.target.postgres.url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return Side(drill.target.postgres, {
        **drill.target.env,
        "DATABASE_URL": drill.target.postgres.url.rsplit("/", 1)[0] + f"/{name}",
        "MEDIA_ROOT": str(base / "media"),
        "ACCESS_LOG_CHECKPOINT_FILE": str(base / "access-log" / "checkpoints.jsonl"),
    })  # fmt: skip


def public_tables(side: Side) -> int:
    with psycopg.connect(side.env["DATABASE_URL"]) as connection:
        query = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        return connection.execute(query).fetchone()[0]


def test_a_restore_into_an_installation_with_uploads_is_refused_and_changes_nothing(
    drill, tmp_path
):
    empty = empty_installation(drill, tmp_path)
    (empty.media / "left-over").mkdir(parents=True)
    (empty.media / "left-over" / "photo.png").write_bytes(b"not from this backup")

    refused = manage(empty, "restore", str(drill.archive))

    assert refused.returncode == 1
    assert "already holds files" in refused.stderr and "Nothing was changed." in refused.stderr
    assert public_tables(empty) == 0
    assert files(empty.media) == {"left-over/photo.png": b"not from this backup"}
    assert not empty.checkpoints.exists()


def corrupted(archive: Path, member: str, into: Path) -> Path:
    """A copy of ``archive`` with one byte of ``member``'s content changed."""
    with tarfile.open(archive) as tar:
        offset = tar.getmember(member).offset_data
    data = bytearray(archive.read_bytes())
    data[offset + 10] ^= 0xFF
    into.write_bytes(data)
    return into


@pytest.mark.parametrize("damaged", ["database.dump", "a stored file"])
def test_a_damaged_archive_is_refused_and_nothing_is_restored(drill, damaged, tmp_path):
    with tarfile.open(drill.archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    member = damaged if damaged == "database.dump" else f"media/{sorted(manifest['media'])[0]}"
    archive = corrupted(drill.archive, member, tmp_path / "damaged.tar")
    empty = empty_installation(drill, tmp_path)

    refused = manage(empty, "restore", str(archive))

    assert refused.returncode == 1
    assert f"is damaged: {member} does not match its SHA-256 in the manifest." in refused.stderr
    assert public_tables(empty) == 0
    assert not empty.media.exists()
    assert not empty.checkpoints.exists()
