"""The access log is tamper-evident: a keyed chain, checkpoints outside the database, triggers.

The attacker here has the database (raw SQL, triggers disabled by the table's owner) but not
ACCESS_LOG_KEYS, and cannot reach the checkpoint file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from privacy import audit, checkpoints, verification
from privacy.models import (
    AccessLogEntry,
    AccessLogSeal,
    AccessLogVerification,
    PendingSeal,
)
from tests.factories import UserFactory
from tests.privacy.fixtures import build_world, strong_client
from tests.settings_check import production_without, run_check

LOG = AccessLogEntry._meta.db_table
SEALS = AccessLogSeal._meta.db_table
TRIGGERS = {LOG: "privacy_access_log_append_only", SEALS: "privacy_access_log_seal_append_only"}
KEY = "a-test-key-of-at-least-thirty-two-characters"


@pytest.fixture(autouse=True)
def _keys_and_checkpoint_file(settings, tmp_path):
    settings.ACCESS_LOG_KEYS = {"k1": KEY}
    settings.ACCESS_LOG_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    settings.ACCESS_LOG_CHECKPOINT_MINUTES = 0


@contextmanager
def attacker() -> Iterator[object]:
    """Raw SQL with the log's triggers disabled, as the tables' owner could."""
    with connection.cursor() as cursor:
        for table, trigger in TRIGGERS.items():
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        try:
            yield cursor
        finally:
            for table, trigger in TRIGGERS.items():
                cursor.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger}")


def write_entries(count: int, *, user=None) -> list[AccessLogEntry]:
    """``count`` reads, sealed (in a test transaction nothing commits, so seal by hand)."""
    user = user or UserFactory(display_name="Mirjam Welzijn")
    entries = [
        audit.record(action="read", user=user, object_type="case_message", room_id=7,
                     object_id=n, address="192.0.2.7")
        for n in range(count)
    ]  # fmt: skip
    audit.seal_pending(wait=True)
    return entries


def seal_of(entry: AccessLogEntry) -> AccessLogSeal:
    return AccessLogSeal.objects.get(entry_ref=entry.pk)


def codes(report: verification.Report) -> list[str]:
    return [problem.code for problem in report.problems]


def delete_positions(seqs: list[int], *, seals: bool = True) -> None:
    refs = list(AccessLogSeal.objects.filter(seq__in=seqs).values_list("entry_ref", flat=True))
    with attacker() as cursor:
        cursor.execute(f"DELETE FROM {LOG} WHERE id = ANY(%s)", [refs])  # noqa: S608
        if seals:
            cursor.execute(f"DELETE FROM {SEALS} WHERE seq = ANY(%s)", [seqs])  # noqa: S608


# ---- the database refuses ----------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def test_the_database_refuses_update_and_delete_of_seals():
    write_entries(2)
    seal = AccessLogSeal.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogSeal.objects.filter(pk=seal.pk).update(chain_hash="0" * 64)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogSeal.objects.filter(pk=seal.pk).delete()
    assert AccessLogSeal.objects.filter(pk=seal.pk, chain_hash=seal.chain_hash).exists()


@pytest.mark.parametrize("table", [LOG, SEALS])
def test_the_triggers_also_hold_for_a_session_in_replica_mode(table):
    """``session_replication_role = replica`` skips ordinary triggers; these fire always."""
    write_entries(1)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute("SET LOCAL session_replication_role = origin")
    assert AccessLogEntry.objects.count() == AccessLogSeal.objects.count() == 1


def test_both_triggers_are_enabled_always():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger "
            "WHERE tgname = ANY(%s)",
            [list(TRIGGERS.values())],
        )
        found = {(table, name): enabled for table, name, enabled in cursor.fetchall()}
    assert found == {(table, name): "A" for table, name in TRIGGERS.items()}


# ---- writing: keyed, and no lock held for the reader's transaction ------------------------------


def test_entries_are_signed_with_the_key_not_a_plain_hash():
    entry = write_entries(1)[0]
    entry = AccessLogEntry.objects.get(pk=entry.pk)
    assert entry.key_id == "k1"
    message = audit._canonical(vars(entry), "k1")
    assert entry.entry_hash == hmac.new(KEY.encode(), message, hashlib.sha256).hexdigest()
    assert entry.entry_hash != hashlib.sha256(message).hexdigest()
    seal = seal_of(entry)
    assert seal.key_id == "k1" and seal.seq == 1 and seal.previous_hash == audit.GENESIS


def test_an_ipv6_address_verifies_as_the_database_returns_it():
    user = UserFactory()
    audit.record(action="read", user=user, object_type="case_room", address="2001:DB8:0::7")
    audit.seal_pending(wait=True)
    assert verification.verify().intact


def test_the_key_rotates_and_old_entries_still_verify(settings):
    write_entries(2)
    settings.ACCESS_LOG_KEYS = {"k2": "another-key-of-at-least-thirty-two-characters", "k1": KEY}
    newer = write_entries(2)
    assert AccessLogEntry.objects.get(pk=newer[0].pk).key_id == "k2"
    assert seal_of(newer[0]).key_id == "k2"
    report = verification.verify()
    assert report.intact and report.keys == {"k1": 2, "k2": 2}
    settings.ACCESS_LOG_KEYS = {"k2": "another-key-of-at-least-thirty-two-characters"}
    assert "unknown_key" in codes(verification.verify())


@pytest.mark.django_db(transaction=True)
def test_an_entry_written_in_a_transaction_is_sealed_when_it_commits():
    user = UserFactory()
    with transaction.atomic():
        entry = audit.record(action="read", user=user, object_type="case_room", room_id=1)
        assert PendingSeal.objects.filter(entry_ref=entry.pk).exists()
        assert not AccessLogSeal.objects.filter(entry_ref=entry.pk).exists()
    assert seal_of(entry).seq == 1
    assert not PendingSeal.objects.exists()
    with pytest.raises(ValueError), transaction.atomic():
        audit.record(action="read", user=user, object_type="case_room", room_id=1)
        raise ValueError("the access fails: its entry goes with it")
    assert AccessLogEntry.objects.count() == AccessLogSeal.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_reader_never_waits_for_another_readers_transaction():
    """Today's lock was held until the writer's transaction ended: every read queued behind."""
    user = UserFactory()
    recorded, release, done = threading.Event(), threading.Event(), threading.Event()

    def long_transaction() -> None:
        try:
            with transaction.atomic():
                audit.record(action="read", user=user, object_type="case_room", room_id=1)
                recorded.set()
                release.wait(30)
        finally:
            connection.close()

    def reader() -> None:
        try:
            audit.record(action="read", user=user, object_type="case_room", room_id=2)
            done.set()
        finally:
            connection.close()

    holder = threading.Thread(target=long_transaction)
    holder.start()
    other = threading.Thread(target=reader)
    try:
        assert recorded.wait(10)
        other.start()
        assert done.wait(5), "a reader waited for another reader's open transaction"
    finally:
        release.set()
        holder.join(30)
        if other.is_alive() or other.ident:
            other.join(30)
    assert AccessLogSeal.objects.count() == AccessLogEntry.objects.count() == 2
    assert not PendingSeal.objects.exists()
    assert verification.verify().intact


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_make_one_unbroken_chain():
    users = [UserFactory() for _ in range(8)]

    def write(user) -> None:
        try:
            for n in range(15):
                audit.record(action="read", user=user, object_type="case_room", room_id=n)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    report = verification.verify()
    assert report.intact, report.problems
    assert report.entries == 120
    assert list(AccessLogSeal.objects.values_list("seq", flat=True)) == list(range(1, 121))


# ---- entries from before the keyed chain ---------------------------------------------------------


def _legacy_entries(count: int) -> list[AccessLogEntry]:
    """Entries as the previous release wrote them: plain SHA-256, chained by previous_hash."""
    previous, made = audit.GENESIS, []
    for n in range(count):
        entry = AccessLogEntry(action="read", outcome="success", user_name="Oud", role="member",
                               purpose="care_coordination", object_type="case_room",
                               object_id=str(n), previous_hash=previous, key_id="")  # fmt: skip
        entry.entry_hash = audit.entry_hash(vars(entry))
        entry.save(force_insert=True)
        previous = entry.entry_hash
        made.append(entry)
    return made


def test_entries_from_before_the_keyed_chain_are_sealed_by_the_migration_and_verify():
    legacy = _legacy_entries(4)
    migration = __import__(
        "privacy.migrations.0003_access_log_keyed_chain", fromlist=["seal_existing_entries"]
    )
    migration.seal_existing_entries(apps, None)
    assert [seal_of(e).seq for e in legacy] == [1, 2, 3, 4]
    write_entries(2)
    assert verification.verify().intact
    # Without the key a plain SHA-256 can be recomputed; the seal (keyed) then no longer fits.
    target = AccessLogEntry.objects.get(pk=legacy[1].pk)
    target.user_name = "Iemand anders"
    rehashed = audit.entry_hash(vars(target))
    with attacker() as cursor:
        cursor.execute(f"UPDATE {LOG} SET user_name = %s, entry_hash = %s WHERE id = %s",  # noqa: S608
                       ["Iemand anders", rehashed, target.pk])  # fmt: skip
    # and the next entry no longer follows it in the old chain either
    assert codes(verification.verify()) == ["seal_forged", "legacy_chain"]


# ---- what verify_access_log finds -------------------------------------------------------------


def test_verify_access_log_accepts_an_intact_log_and_stores_the_outcome():
    write_entries(5)
    checkpoints.write()
    write_entries(2)
    out = StringIO()
    call_command("verify_access_log", stdout=out)
    assert "Access log intact: 7 entries and 1 checkpoints checked" in out.getvalue()
    run = AccessLogVerification.objects.get()
    assert run.outcome == "intact" and run.entries_checked == 7 and run.finished_at


def test_it_finds_a_changed_entry():
    entries = write_entries(5)
    with attacker() as cursor:
        cursor.execute(f"UPDATE {LOG} SET user_name = 'Iemand anders' WHERE id = %s",  # noqa: S608
                       [entries[2].pk])  # fmt: skip
    report = verification.verify()
    assert report.problems == [
        verification.Problem("entry_changed", {"seq": 3, "entry": entries[2].pk})
    ]
    with (
        translation.override("en"),
        pytest.raises(CommandError, match=f"Entry {entries[2].pk} .position 3. was changed"),
    ):
        call_command("verify_access_log", stdout=StringIO())
    assert AccessLogVerification.objects.get().outcome == "broken"


def test_it_finds_an_entry_downgraded_to_a_plain_hash():
    entries = write_entries(3)
    target = AccessLogEntry.objects.get(pk=entries[1].pk)
    target.user_name, target.key_id = "Iemand anders", ""
    with attacker() as cursor:
        cursor.execute(f"UPDATE {LOG} SET user_name = %s, key_id = '', entry_hash = %s "  # noqa: S608
                       "WHERE id = %s", ["Iemand anders", audit.entry_hash(vars(target)),
                                         target.pk])  # fmt: skip
    assert codes(verification.verify()) == ["seal_forged"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [("head", "head_removed"), ("middle", "positions_missing"), ("tail", "tail_removed")],
)
def test_it_finds_deleted_entries_anywhere(where, expected):
    write_entries(6)
    checkpoints.write()
    seqs = {"head": [1, 2], "middle": [3, 4], "tail": [5, 6]}[where]
    delete_positions(seqs)
    assert codes(verification.verify()) == [expected]


@pytest.mark.parametrize("where", ["head", "middle", "tail"])
def test_it_finds_an_entry_deleted_without_its_seal(where):
    entries = write_entries(5)
    target = {"head": entries[0], "middle": entries[2], "tail": entries[4]}[where]
    delete_positions([seal_of(target).seq], seals=False)
    report = verification.verify()
    assert report.problems == [
        verification.Problem("entry_missing", {"seq": seal_of(target).seq, "entry": target.pk})
    ]


def test_an_entry_deleted_before_its_seal_leaves_nothing_waiting_forever():
    user = UserFactory()
    entry = audit.record(action="read", user=user, object_type="case_room")
    with attacker() as cursor:
        cursor.execute(f"DELETE FROM {LOG} WHERE id = %s", [entry.pk])  # noqa: S608
    assert verification.verify().entries == 0  # sweeps, and returns
    assert audit.seal_pending() == 0
    assert not PendingSeal.objects.exists()


def test_removing_the_newest_entries_needs_the_checkpoints_to_show():
    write_entries(4)
    delete_positions([3, 4])
    report = verification.verify()
    assert report.intact  # nothing to compare the end with
    assert [w.code for w in report.warnings] == ["no_checkpoints"]


def test_it_finds_a_log_rewritten_and_chained_anew_without_the_key(settings):
    entries = write_entries(4)
    checkpoints.write()
    # The attacker rewrites every entry and chains the log anew with a key of their own,
    # keeping the key id.
    settings.ACCESS_LOG_KEYS = {"k1": "the-attackers-own-key-of-thirty-two-characters"}
    previous = audit.GENESIS
    with attacker() as cursor:
        for seq, entry in enumerate(entries, start=1):
            row = AccessLogEntry.objects.get(pk=entry.pk)
            row.user_name = "Iemand anders"
            hashed = audit.entry_hash(vars(row))
            chain = audit.seal_hash("k1", seq, row.pk, hashed, row.occurred_at, previous)
            cursor.execute(f"UPDATE {LOG} SET user_name = %s, entry_hash = %s WHERE id = %s",  # noqa: S608
                           [row.user_name, hashed, row.pk])  # fmt: skip
            cursor.execute(f"UPDATE {SEALS} SET previous_hash = %s, chain_hash = %s "  # noqa: S608
                           "WHERE seq = %s", [previous, chain, seq])  # fmt: skip
            previous = chain
    settings.ACCESS_LOG_KEYS = {"k1": KEY}
    found = set(codes(verification.verify()))
    assert {"seal_forged", "checkpoint_differs"} <= found


def test_a_changed_or_unsigned_checkpoint_line_is_reported():
    write_entries(2)
    data = checkpoints.write()
    forged = {**data, "last_seq": 1}
    with open(checkpoints.path(), "a") as file:
        file.write(json.dumps(forged) + "\n")
    report = verification.verify()
    assert report.problems == [
        verification.Problem("checkpoint_forged", {"line": 2, "file": "checkpoints.jsonl"})
    ]


def test_it_compares_with_checkpoints_saved_from_the_emails(tmp_path):
    write_entries(4)
    checkpoints.write()
    saved = tmp_path / "from-the-emails.jsonl"
    saved.write_text(checkpoints.path().read_text())
    checkpoints.path().unlink()  # the attacker removed the file on the server too
    delete_positions([4])
    with translation.override("en"), pytest.raises(CommandError, match="newest entries were"):
        call_command("verify_access_log", "--checkpoints", str(saved), stdout=StringIO())


# ---- purges ------------------------------------------------------------------------------------


def _entries_from(years_ago: float, count: int) -> list[AccessLogEntry]:
    then = timezone.now() - timedelta(days=365.25 * years_ago)
    with mock.patch("django.utils.timezone.now", return_value=then):
        return write_entries(count)


def test_a_purge_removes_old_entries_records_it_and_verifies(settings):
    _entries_from(6, 3)
    kept = write_entries(2)
    out = StringIO()
    call_command("purge_case_rooms", stdout=out)
    assert "Deleted 3 access-log entries" in out.getvalue()
    assert set(AccessLogEntry.objects.values_list("pk", flat=True)) == {e.pk for e in kept}
    assert AccessLogSeal.objects.order_by("seq").first().seq == 4
    purge = json.loads(checkpoints.path().read_text().splitlines()[-1])
    assert purge["kind"] == "purge" and purge["through_seq"] == 3 and purge["removed"] == 3
    assert verification.verify().intact


def test_a_purge_keeps_the_chain_whole_and_the_newest_entry():
    old = _entries_from(6, 2)
    write_entries(1)
    later_old = _entries_from(6, 1)  # old, but behind a newer entry: waits
    audit.purge_expired()
    assert not AccessLogEntry.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert AccessLogEntry.objects.filter(pk=later_old[0].pk).exists()
    assert audit.purge_expired().removed == 0  # the newest entry always stays


def test_it_finds_a_purge_that_removed_entries_still_within_retention(settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 7 * 365
    _entries_from(6, 3)
    write_entries(2)
    # A purge run with a shorter retention than the platform's: the trigger allows it (over
    # five years), the recorded purge shows it.
    settings.ACCESS_LOG_RETENTION_DAYS = 365 * 5 + 1
    call_command("purge_case_rooms", stdout=StringIO())
    settings.ACCESS_LOG_RETENTION_DAYS = 7 * 365
    assert codes(verification.verify()) == ["purge_within_retention"]


def test_it_finds_entries_removed_at_the_start_while_within_retention():
    write_entries(3)
    checkpoints.write()
    write_entries(3)
    delete_positions([1, 2, 3, 4])  # position 4 was written after the checkpoint
    report = verification.verify()
    assert codes(report) == ["head_removed_within_retention"]
    with translation.override("en"):
        described = verification.describe(report.problems[0].as_dict())
    assert "still within their retention period" in described


@pytest.mark.parametrize(
    ("now", "cutoff"),
    [
        # across two leap days five years are 1,827 days: more than the minimum 1,826
        (datetime(2029, 2, 1, 12, tzinfo=UTC), datetime(2024, 2, 1, 12, tzinfo=UTC)),
        (datetime(2031, 3, 1, 12, tzinfo=UTC), datetime(2026, 3, 1, 12, tzinfo=UTC)),
        (datetime(2028, 2, 29, 12, tzinfo=UTC), datetime(2023, 2, 28, 12, tzinfo=UTC)),
    ],
)
def test_the_purge_never_reaches_entries_the_trigger_keeps(settings, now, cutoff):
    settings.ACCESS_LOG_RETENTION_DAYS = 365 * 5 + 1
    assert audit.retention_cutoff(now) == cutoff


# ---- checkpoints -------------------------------------------------------------------------------


def test_the_checkpoint_command_writes_the_head_to_the_file_and_the_log(caplog):
    entries = write_entries(3)
    caplog.set_level("INFO", logger="privacy.access_log")
    call_command("checkpoint_access_log", stdout=StringIO())
    data = json.loads(checkpoints.path().read_text())
    assert data["count"] == 3 and data["last_seq"] == 3 and data["key_id"] == "k1"
    assert data["last_entry_id"] == entries[-1].pk
    assert data["last_hash"] == seal_of(entries[-1]).chain_hash
    assert datetime.fromisoformat(data["at"]) <= timezone.now()
    assert data["mac"] in caplog.text
    call_command("checkpoint_access_log", stdout=StringIO())
    assert len(checkpoints.path().read_text().splitlines()) == 2  # appended


def test_the_daily_checkpoint_is_emailed_to_each_privacy_officer(mailoutbox):
    officers = [UserFactory(roles=["privacy_officer"]) for _ in range(2)]
    UserFactory(roles=["privacy_officer"], is_active=False)
    write_entries(1)
    call_command("checkpoint_access_log", "--email", stdout=StringIO())
    assert sorted(m.to[0] for m in mailoutbox) == sorted(o.email for o in officers)
    line = checkpoints.path().read_text().strip()
    assert line in mailoutbox[0].body
    assert mailoutbox[0].subject.startswith("[Wijkplatform]")


def test_the_web_processes_write_a_checkpoint_when_the_last_is_an_hour_old(settings, monkeypatch):
    settings.ACCESS_LOG_CHECKPOINT_MINUTES = 60
    monkeypatch.setattr(audit, "_next_checkpoint_look", 0.0)
    user = UserFactory()
    audit.record(action="read", user=user, object_type="case_room")
    audit.seal_pending()
    assert len(checkpoints.path().read_text().splitlines()) == 1
    monkeypatch.setattr(audit, "_next_checkpoint_look", 0.0)
    audit.record(action="read", user=user, object_type="case_room")
    audit.seal_pending()
    assert len(checkpoints.path().read_text().splitlines()) == 1  # not due yet
    hours_ago = timezone.now().timestamp() - 2 * 3600
    os.utime(checkpoints.path(), (hours_ago, hours_ago))
    monkeypatch.setattr(audit, "_next_checkpoint_look", 0.0)
    audit.record(action="read", user=user, object_type="case_room")
    audit.seal_pending()
    lines = checkpoints.path().read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[-1])["last_seq"] == 3


# ---- the key setting ---------------------------------------------------------------------------


def _check(env: dict[str, str]):
    return run_check({**production_without("ACCESS_LOG_KEYS"), **env})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "ACCESS_LOG_KEYS must be set when DEBUG is off"),
        ({"ACCESS_LOG_KEYS": "k1:too-short"}, "at least 32 characters"),
        ({"ACCESS_LOG_KEYS": f"k1:{KEY},k1:{KEY}x"}, "ids must be unique"),
    ],
)
def test_production_refuses_to_start_without_valid_access_log_keys(env, message):
    result = _check(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_starts_with_a_rotated_access_log_key_list():
    result = _check({"ACCESS_LOG_KEYS": f"2027:{KEY}x,{KEY}"})
    assert result.returncode == 0, result.stderr


# ---- the privacy officer's page ----------------------------------------------------------------


@pytest.fixture
def live_world(transactional_db):
    return build_world()


def _wait_for_verification() -> None:
    for thread in threading.enumerate():
        if thread.name == verification.THREAD_NAME:
            thread.join(60)


def test_the_privacy_officer_starts_a_verification_and_sees_its_outcome(live_world):
    officer = strong_client(live_world.privacy_officer)
    page = officer.get(reverse("privacy:all_logs"))
    assert "Het toegangslogboek is nog niet gecontroleerd." in page.content.decode()
    response = officer.post(reverse("privacy:verify_log"))
    assert response.status_code == 302 and response["Location"] == reverse("privacy:all_logs")
    _wait_for_verification()
    run = AccessLogVerification.objects.get()
    assert run.outcome == "intact" and run.started_by_ref == live_world.privacy_officer.pk
    assert AccessLogEntry.objects.filter(detail="verification", object_type="access_log").exists()
    page = officer.get(reverse("privacy:all_logs")).content.decode()
    assert "In orde" in page and "Petra Privacy" in page

    entry = AccessLogEntry.objects.order_by("pk").first()
    with attacker() as cursor:
        cursor.execute(f"UPDATE {LOG} SET detail = 'x' WHERE id = %s", [entry.pk])  # noqa: S608
    officer.post(reverse("privacy:verify_log"))
    _wait_for_verification()
    page = officer.get(reverse("privacy:all_logs")).content.decode()
    assert "Niet in orde" in page
    assert f"Regel {entry.pk} (positie 1) is gewijzigd" in page


def test_only_one_verification_runs_at_a_time(world):
    AccessLogVerification.objects.create(started_by_name="cron")
    officer = strong_client(world.privacy_officer)
    officer.post(reverse("privacy:verify_log"))
    assert AccessLogVerification.objects.count() == 1
    stale = AccessLogVerification.objects.get()
    stale.started_at = timezone.now() - timedelta(hours=3)  # its process died
    stale.save()
    officer.post(reverse("privacy:verify_log"))
    assert AccessLogVerification.objects.count() == 2
