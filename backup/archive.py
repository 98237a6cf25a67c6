"""A backup of one installation in one tar archive, and its restore into an empty one.

The archive holds:

- ``database.dump``: ``pg_dump`` in its custom format, of one snapshot of the database;
- ``media/…``: every uploaded file under ``MEDIA_ROOT``;
- ``access-log/checkpoints.jsonl``: the access log's checkpoint file (``privacy.checkpoints``);
- ``manifest.json``: when and from which database, the applied migrations, the number of rows
  of every table in the snapshot, and the size and SHA-256 of every other member.

The order makes the parts agree. First the waiting access-log entries are sealed and a
checkpoint is written; then the checkpoint file is copied; then the database is dumped from a
snapshot taken after that copy, so every checkpoint in the archive refers to entries the dump
holds (a retention purge that commits in between is noticed: the backup then fails and is to be
run again). The uploaded files are copied after the snapshot: a file is written before the row
that refers to it is committed, so every file the dump refers to is there (unless it was deleted
meanwhile; the manifest lists such files as missing). The row counts are read in the same
snapshot as the dump.

No secrets are in the archive: ``SECRET_KEY``, ``MFA_ENCRYPTION_KEYS`` and ``ACCESS_LOG_KEYS``
live in the environment. Keep them apart from the backups: without ``ACCESS_LOG_KEYS`` a
restored access log cannot be verified, without ``MFA_ENCRYPTION_KEYS`` nobody's second factor
works.

``restore`` checks every member against the manifest before it changes anything, refuses a
database that has tables, a ``MEDIA_ROOT`` that holds files and a checkpoint file that has lines,
restores the database in one transaction, writes the files back, and compares the row counts
and the files' hashes with the manifest.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from privacy import audit, checkpoints

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "database.dump"
MEDIA = "media"
CHECKPOINTS = "access-log/checkpoints.jsonl"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be made; the message says why and what to do."""


# --- PostgreSQL's programs ----------------------------------------------------------------------


def _major(program: Path) -> int | None:
    try:
        output = subprocess.run(  # noqa: S603 - a PostgreSQL program found below, no input
            [str(program), "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", output)
    return int(found[1]) if found else None


def _candidates(name: str) -> Iterator[Path]:
    if connection.vendor == "postgresql" and connection.settings_dict["ENGINE"] == (
        "core.embedded_database"
    ):
        from core.embedded_database import bin_directory

        yield bin_directory() / name
    for found in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        yield Path(found)
    on_path = shutil.which(name)
    if on_path:
        yield Path(on_path)


def program(name: str) -> Path:
    """``pg_dump`` or ``pg_restore`` of the server's major version (or, failing that, the
    oldest newer one): an older one refuses a newer server, a newer one may write what an
    older server does not understand."""
    server = _server_version() // 10000
    found: dict[int, Path] = {}
    for candidate in _candidates(name):
        major = _major(candidate) if candidate.is_file() else None
        if major is not None and major >= server:
            found.setdefault(major, candidate)
    if not found:
        raise BackupError(
            f"{name} for PostgreSQL {server} (or newer) not found: install the PostgreSQL "
            f"client programs (Debian: apt-get install postgresql-client-{server})."
        )
    return found[min(found)]


def _server_version() -> int:
    with connection.cursor() as cursor:
        return int(cursor.connection.info.server_version)


def _run(name: str, parameters: list[str]) -> None:
    """Run ``name`` on this installation's database, as ``manage.py dbshell`` connects."""
    args, env = connection.client.settings_to_cmd_args_env(connection.settings_dict, [])
    # [psql, -U user, -h host, -p port, dbname]: the database goes in as --dbname
    if connection.settings_dict.get("NAME") or not connection.settings_dict["OPTIONS"].get(
        "service"
    ):
        args, parameters = args[:-1], [f"--dbname={args[-1]}", *parameters]
    command = [str(program(name)), *args[1:], *parameters]
    result = subprocess.run(  # noqa: S603 - our own command line; the settings' connection
        command, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise BackupError(f"{name} failed (exit {result.returncode}): {result.stderr.strip()}")


# --- What the database holds ----------------------------------------------------------------------


def _tables() -> list[str]:
    names = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    return sorted(names & set(connection.introspection.table_names()))


def row_counts() -> dict[str, int]:
    """The number of rows of every table of the project's models."""
    counts = {}
    with connection.cursor() as cursor:
        for table in _tables():
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app, name in cursor.fetchall():
            applied.setdefault(app, []).append(name)
    return applied


def _stored_files() -> set[str]:
    """The names of the files the database refers to (every FileField, in this snapshot)."""
    from django.db.models import FileField

    names: set[str] = set()
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, FileField):
                names.update(
                    model._base_manager.exclude(**{model_field.name: ""}).values_list(
                        model_field.name, flat=True
                    )
                )
    return names


def user_tables() -> list[str]:
    """The tables (and views) outside PostgreSQL's own schemas."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%' "
            "ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


# --- Files ------------------------------------------------------------------------------------


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def _digest(stream: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _add(archive: tarfile.TarFile, name: str, data: bytes, mode: int = 0o600) -> dict[str, Any]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _add_file(archive: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    with path.open("rb") as source:
        sha256, size = _digest(source)
        source.seek(0)
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o600
        info.mtime = int(path.stat().st_mtime)
        archive.addfile(info, source)
    return {"sha256": sha256, "size": size}


# --- Backup -----------------------------------------------------------------------------------


@dataclass
class Backup:
    #: None when written to a stream
    path: Path | None
    manifest: dict[str, Any]

    @property
    def files(self) -> int:
        return len(self.manifest["media"])

    @property
    def checkpoint_lines(self) -> int:
        return int(self.manifest["checkpoints"]["lines"]) if self.manifest["checkpoints"] else 0


def _archive_path(output: Path, now: datetime) -> Path:
    if output.is_dir():
        return output / f"wijkplatform-{now.strftime('%Y%m%d-%H%M%S')}.tar"
    if not output.parent.is_dir():
        raise BackupError(f"No such directory: {output.parent}")
    if output.exists():
        raise BackupError(f"{output} exists already; give a new file name or a directory.")
    return output


def _chain_moved(copied: bytes, first_seq: int) -> bool:
    """Whether the chain starts elsewhere in the snapshot than in the newest checkpoint copied
    (only a retention purge moves its start)."""
    lines = copied.splitlines()
    try:
        return bool(lines) and int(json.loads(lines[-1])["first_seq"]) != first_seq
    except (ValueError, KeyError, TypeError):
        return True


def backup(output: Path | IO[bytes]) -> Backup:
    """Write a backup archive to ``output``: a new file, a directory to put one in, or a
    stream (written as it goes, e.g. to standard output)."""
    now = datetime.now(UTC)
    target = _archive_path(output, now) if isinstance(output, Path) else None
    if "privacy_accesslogentry" not in connection.introspection.table_names():
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} holds no platform (run migrate "
            "first); nothing to back up."
        )
    # 1. every access so far sealed and recorded in a checkpoint, then the checkpoints copied
    audit.seal_pending(wait=True, sweep=True)
    checkpoints.write()
    checkpoint_file = checkpoints.path()
    copied = checkpoint_file.read_bytes() if checkpoint_file.is_file() else b""
    # the dump waits next to the archive, where there is room for it
    with tempfile.TemporaryDirectory(prefix=".wijk-backup-", dir=target and target.parent) as work:
        dump = Path(work) / DATABASE
        # 2. the database from one snapshot, taken after that copy; the counts from the same
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            _run("pg_dump", ["--format=custom", f"--snapshot={snapshot}", "--file", str(dump)])
            counts = row_counts()
            migrations = _applied_migrations()
            referenced = _stored_files()
            first_seq = audit.head().first_seq
        if _chain_moved(copied, first_seq):
            raise BackupError(
                "The access log was purged while the backup ran; run the backup again."
            )
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "database": {
                "name": connection.settings_dict["NAME"],
                "server_version": _server_version(),
            },
            "migrations": migrations,
            "counts": counts,
            "media": {},
            "missing_media": [],
            "checkpoints": None,
            "members": {},
        }
        if target is None:
            assert not isinstance(output, Path)
            with tarfile.open(fileobj=output, mode="w|") as archive:
                _fill(archive, manifest, dump, copied, referenced)
            output.flush()
            return Backup(None, manifest)
        partial = target.with_name(f".{target.name}.partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as raw:
                with tarfile.open(fileobj=raw, mode="w") as archive:
                    _fill(archive, manifest, dump, copied, referenced)
                raw.flush()
                os.fsync(raw.fileno())
            partial.rename(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return Backup(target, manifest)


def _fill(
    archive: tarfile.TarFile,
    manifest: dict[str, Any],
    dump: Path,
    copied: bytes,
    referenced: set[str],
) -> None:
    manifest["members"][DATABASE] = _add_file(archive, DATABASE, dump)
    # 3. the uploaded files, after the snapshot
    root = Path(settings.MEDIA_ROOT)
    for path in _media_files(root):
        relative = path.relative_to(root).as_posix()
        member = f"{MEDIA}/{relative}"
        manifest["media"][relative] = _add_file(archive, member, path)
        manifest["members"][member] = manifest["media"][relative]
    manifest["missing_media"] = sorted(referenced - set(manifest["media"]))
    if copied:
        manifest["members"][CHECKPOINTS] = _add(archive, CHECKPOINTS, copied)
        manifest["checkpoints"] = {"lines": len(copied.splitlines())}
    # last: a stream cannot go back to the start, and the manifest lists all before it
    _add(archive, MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())


# --- Restore ----------------------------------------------------------------------------------


@dataclass
class Restored:
    manifest: dict[str, Any]
    counts: dict[str, int]
    files: int = 0
    bytes: int = 0
    checkpoint_lines: int = 0
    unapplied: list[str] = field(default_factory=list)


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


def _well_formed(manifest: Any) -> bool:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return False
    members, media = manifest.get("members"), manifest.get("media")
    if not isinstance(members, dict) or not isinstance(media, dict):
        return False
    if not all(f"{MEDIA}/{name}" in members for name in media):
        return False
    return not manifest.get("checkpoints") or CHECKPOINTS in members


def _open(path: Path, label: str) -> tuple[tarfile.TarFile, dict[str, Any]]:
    if not path.is_file():
        raise BackupError(f"No such file: {label}")
    try:
        archive = tarfile.open(path, mode="r:")  # noqa: SIM115 - closed by the caller
        members = {member.name: member for member in archive.getmembers()}
    except (tarfile.TarError, OSError) as error:
        raise BackupError(
            f"{label} is not a backup archive (not a readable tar file: {error})."
        ) from None
    try:
        stream = archive.extractfile(members[MANIFEST]) if MANIFEST in members else None
        manifest = json.load(stream) if stream else None
    except (tarfile.TarError, OSError, ValueError):
        manifest = None
    if not _well_formed(manifest):
        archive.close()
        raise BackupError(f"{label} is not a backup archive of this platform (no valid manifest).")
    assert isinstance(manifest, dict)
    expected = set(manifest["members"]) | {MANIFEST}
    unexpected = sorted(set(members) - expected)
    missing = sorted(expected - set(members))
    if unexpected or missing or not all(_safe_member(name) for name in members):
        archive.close()
        raise BackupError(
            f"{label} does not hold what its manifest lists "
            f"(missing: {', '.join(missing) or 'none'}; not listed: "
            f"{', '.join(unexpected) or 'none'})."
        )
    for name, expect in manifest["members"].items():
        member = members[name]
        stream = archive.extractfile(member) if member.isfile() else None
        if stream is None:
            archive.close()
            raise BackupError(f"{label}: {name} is not a regular file.")
        sha256, size = _digest(stream)
        if (sha256, size) != (expect["sha256"], expect["size"]):
            archive.close()
            raise BackupError(
                f"{label} is damaged: {name} does not match its SHA-256 in the manifest. "
                "Nothing was restored."
            )
    return archive, manifest


def _check_migrations(manifest: dict[str, Any]) -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = {f"{app}.{name}" for app, name in loader.disk_migrations}
    applied = {f"{app}.{name}" for app, names in manifest["migrations"].items() for name in names}
    ours = {app for app, _name in loader.disk_migrations}
    unknown = sorted(name for name in applied - known if name.split(".")[0] in ours)
    if unknown:
        raise BackupError(
            "The backup was made by a newer release (migrations this code does not have: "
            f"{', '.join(unknown[:5])}); restore it with that release."
        )


def _unapplied() -> list[str]:
    """Migrations of this code the restored database has not had (an older backup)."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def _check_empty(media_root: Path, checkpoint_file: Path) -> None:
    tables = user_tables()
    if tables:
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} is not empty ({len(tables)} tables, "
            f"e.g. {tables[0]}): restore only into a new, empty database. Nothing was changed."
        )
    if _media_files(media_root):
        raise BackupError(
            f"MEDIA_ROOT ({media_root}) already holds files: restore only into an empty "
            "installation. Nothing was changed."
        )
    if checkpoint_file.is_file() and checkpoint_file.stat().st_size:
        raise BackupError(
            f"The checkpoint file {checkpoint_file} already has lines: restore only into an "
            "empty installation. Nothing was changed."
        )


def _write(target: Path, stream: IO[bytes], mode: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as out:
        shutil.copyfileobj(stream, out, CHUNK)
        out.flush()
        os.fsync(out.fileno())
    partial.rename(target)


def restore(source: Path | IO[bytes]) -> Restored:
    """Restore the archive at ``source`` (a file, or a stream such as standard input) into this
    installation, which must be empty."""
    if isinstance(source, Path):
        return _restore(source, str(source))
    # read twice (checked, then restored): kept in a temporary file meanwhile
    with tempfile.NamedTemporaryFile(prefix="wijk-restore-", suffix=".tar") as spool:
        shutil.copyfileobj(source, spool, CHUNK)
        spool.flush()
        return _restore(Path(spool.name), "The archive on standard input")


def _restore(path: Path, label: str) -> Restored:
    archive, manifest = _open(path, label)
    with archive:
        _check_migrations(manifest)
        media_root = Path(settings.MEDIA_ROOT)
        checkpoint_file = checkpoints.path()
        _check_empty(media_root, checkpoint_file)
        with tempfile.TemporaryDirectory(prefix="wijk-restore-") as work:
            dump = Path(work) / DATABASE
            _write(dump, _extract(archive, DATABASE), 0o600)
            _run("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error",
                                "--single-transaction", str(dump)])  # fmt: skip
        result = Restored(manifest, row_counts(), unapplied=_unapplied())
        for relative in manifest["media"]:
            _write(media_root / relative, _extract(archive, f"{MEDIA}/{relative}"), 0o640)
        if manifest["checkpoints"]:
            _write(checkpoint_file, _extract(archive, CHECKPOINTS), 0o640)
            result.checkpoint_lines = int(manifest["checkpoints"]["lines"])
    _compare(result, media_root)
    return result


def _extract(archive: tarfile.TarFile, name: str) -> IO[bytes]:
    stream = archive.extractfile(name)
    assert stream is not None  # checked in _open
    return stream


def _compare(result: Restored, media_root: Path) -> None:
    expected = result.manifest["counts"]
    wrong = sorted(
        f"{table} ({result.counts.get(table)} rows, the backup has {count})"
        for table, count in expected.items()
        if result.counts.get(table) != count
    )
    if wrong:
        raise BackupError(f"The restored database differs from the backup: {'; '.join(wrong)}.")
    for relative, expect in result.manifest["media"].items():
        with (media_root / relative).open("rb") as restored:
            sha256, size = _digest(restored)
        if sha256 != expect["sha256"]:
            raise BackupError(f"The restored file {relative} does not match the backup.")
        result.files += 1
        result.bytes += size
