"""The NEN 7513 access log: writing entries, sealing them into a keyed chain, and purging.

Writing an entry and giving it its place in the chain are two steps, so that no reader's
transaction waits for a platform-wide lock:

1. ``record`` inserts the entry in the caller's transaction (it commits or rolls back with the
   access it records), together with a ``PendingSeal`` row. The entry is signed on its own:
   ``entry_hash`` is an HMAC-SHA256 of its fields under the newest key of
   ``settings.ACCESS_LOG_KEYS``, which lives in the environment, never in the database. No lock:
   readers insert in parallel.
2. Once that transaction has committed, ``seal_pending`` gives every waiting entry the next
   position in the chain (an ``AccessLogSeal``: an HMAC over the position, the entry's id, hash
   and time, and the previous seal's hash), in a short transaction of its own under a *try*
   advisory lock. A caller that finds the lock taken returns at once: the holder looks again
   after it has committed, and seals what arrived meanwhile (so nothing waits for a quiet
   moment). Under load one sealer seals many entries in one commit.

Whoever can write the database but lacks the key can change, remove or insert entries only in
ways ``privacy.verification`` finds; removing the newest entries shows against the checkpoints
that ``privacy.checkpoints`` keeps outside the database. Entries written before the keyed chain
(``key_id`` empty) keep their plain SHA-256 hashes and were sealed, in their own order, by
migration ``privacy 0003``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, OuterRef
from django.utils import timezone

from privacy.models import AccessLogEntry, AccessLogSeal, PendingSeal

logger = logging.getLogger("privacy.access_log")

GENESIS = "0" * 64
# Arbitrary but fixed: the key of the advisory lock that serialises sealing (not writing).
_LOCK_KEY = 7513
#: entries sealed per transaction, and transactions per call before leaving the rest to the next
SEAL_BATCH = 5000
SEAL_ROUNDS = 5

Action = AccessLogEntry.Action
Outcome = AccessLogEntry.Outcome
#: the tables the access log is kept in: what even a refused request writes to
LOG_TABLES = (
    AccessLogEntry._meta.db_table,
    AccessLogSeal._meta.db_table,
    PendingSeal._meta.db_table,
)


class Purpose:
    """Purposes of use, as stored in the log (stable codes, shown translated)."""

    CARE = "care_coordination"
    SUPERVISION = "supervision"
    SUBJECT_ACCESS = "subject_access"
    RETENTION = "retention"
    #: an early purge on the resident's request (art. 17 GDPR), not the end of retention
    ERASURE = "erasure_request"
    #: an attempt by someone without a right to the room: it served no purpose of care
    REFUSED = "refused_attempt"


HASHED_FIELDS = [
    "event_id", "action", "occurred_at", "outcome", "user_id_ref", "user_name", "role",
    "acted_for_id_ref", "acted_for_name", "purpose", "ip_address", "room_id_ref", "object_type",
    "object_id", "detail", "previous_hash",
]  # fmt: skip


# ---- keys and signatures -----------------------------------------------------------------------


class UnknownKey(LookupError):
    """Something was signed with a key id that ACCESS_LOG_KEYS no longer (or never) had."""


def signing_key_id() -> str:
    """The id of the key new entries, seals and checkpoints are signed with (the first)."""
    return next(iter(settings.ACCESS_LOG_KEYS))


def sign(key_id: str, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` under the key ``key_id`` names, in hex."""
    secret = settings.ACCESS_LOG_KEYS.get(key_id)
    if secret is None:
        raise UnknownKey(key_id)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_matches(key_id: str, message: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(key_id, message), signature)


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(values: Mapping[str, Any], key_id: str) -> bytes:
    data: dict[str, Any] = {}
    for name in HASHED_FIELDS:
        value = values[name]
        if name == "occurred_at":
            value = _timestamp(value)
        elif name == "event_id":
            value = str(value)
        data[name] = value
    if key_id:  # entries before the keyed chain were hashed without it
        data["key_id"] = key_id
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()


def entry_hash(values: Mapping[str, Any]) -> str:
    """What ``entry_hash`` must be for an entry with these field values (a dict or a row).

    Signed with the entry's ``key_id``; an empty one is a plain SHA-256 (before the keyed chain).
    """
    key_id = values["key_id"]
    if not key_id:
        return hashlib.sha256(_canonical(values, "")).hexdigest()
    return sign(key_id, _canonical(values, key_id))


def seal_hash(
    key_id: str, seq: int, entry_ref: int, hashed: str, occurred_at: datetime, previous: str
) -> str:
    """The ``chain_hash`` of the seal that puts entry ``entry_ref`` at position ``seq``."""
    message = f"{seq}|{entry_ref}|{hashed}|{_timestamp(occurred_at)}|{previous}|{key_id}"
    return sign(key_id, message.encode())


# ---- writing -----------------------------------------------------------------------------------


def client_address(request: Any) -> str | None:
    """The network address of an HTTP request or a websocket scope."""
    if request is None:
        return None
    if isinstance(request, dict):  # an ASGI scope
        client = request.get("client")
        return client[0] if client else None
    return request.META.get("REMOTE_ADDR") or None


def record(
    *,
    action: str,
    user: Any,
    object_type: str,
    object_id: Any = "",
    room_id: int | None = None,
    outcome: str = Outcome.SUCCESS,
    role: str = "",
    purpose: str = Purpose.CARE,
    acted_for: Any = None,
    address: str | None = None,
    detail: str = "",
) -> AccessLogEntry:
    """Append one entry. ``detail`` must never carry case content or the pseudonym.

    Takes no lock: the entry is sealed into the chain after the caller's transaction commits
    (at once outside a transaction).
    """
    acting = user if getattr(user, "is_authenticated", False) else None
    responsible = acted_for or acting
    entry = AccessLogEntry(
        action=action,
        occurred_at=timezone.now(),
        outcome=outcome,
        user_id_ref=acting.pk if acting else None,
        user_name=(acting.display_name or acting.email)[:150] if acting else "",
        role=role[:40],
        acted_for_id_ref=responsible.pk if responsible else None,
        acted_for_name=(responsible.display_name or responsible.email)[:150] if responsible else "",
        purpose=purpose,
        # as the database will give it back (IPv6 in its canonical form), so the hash matches
        ip_address=AccessLogEntry._meta.get_field("ip_address").get_prep_value(address),
        room_id_ref=int(room_id) if room_id is not None else None,
        object_type=object_type,
        object_id=str(object_id or "")[:40],
        detail=detail[:200],
        previous_hash="",
        key_id=signing_key_id(),
    )
    entry.entry_hash = entry_hash(vars(entry))
    with transaction.atomic(savepoint=False):
        entry.save(force_insert=True)
        PendingSeal.objects.create(entry_ref=entry.pk)
    # robust: the access happened and its entry is stored; a seal that fails now is made by the
    # next writer or the checkpoint command, and must not fail the reader's request
    transaction.on_commit(_seal_after_commit, robust=True)
    return entry


def _lock(*, wait: bool) -> bool:
    """The sealing lock, until the end of the current transaction; False if taken (no wait)."""
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _unsealed(sweep: bool) -> list[int]:
    if not sweep:
        return list(
            PendingSeal.objects.order_by("entry_ref").values_list("entry_ref", flat=True)[
                :SEAL_BATCH
            ]
        )
    # Every entry without a seal, whether or not its queue row is there.
    sealed = AccessLogSeal.objects.filter(entry_ref=OuterRef("pk"))
    return list(
        AccessLogEntry.objects.filter(~Exists(sealed))
        .order_by("pk")
        .values_list("pk", flat=True)[:SEAL_BATCH]
    )


def _seal(refs: list[int]) -> int:
    """Seal the entries ``refs`` (in id order) after the current head; under the lock."""
    head = AccessLogSeal.objects.order_by("-seq").values_list("seq", "chain_hash").first()
    seq, previous = head or (0, GENESIS)
    key_id = signing_key_id()
    now = timezone.now()
    seals = []
    rows = (
        AccessLogEntry.objects.filter(pk__in=refs)
        .order_by("pk")
        .values_list("pk", "entry_hash", "occurred_at")
    )
    for pk, hashed, occurred_at in rows:
        seq += 1
        chain = seal_hash(key_id, seq, pk, hashed, occurred_at, previous)
        seals.append(
            AccessLogSeal(seq=seq, entry_ref=pk, occurred_at=occurred_at, previous_hash=previous,
                          chain_hash=chain, key_id=key_id, sealed_at=now)
        )  # fmt: skip
        previous = chain
    AccessLogSeal.objects.bulk_create(seals)
    PendingSeal.objects.filter(entry_ref__in=refs).delete()
    return len(seals)


def seal_pending(*, wait: bool = False, sweep: bool = False) -> int:
    """Give waiting entries their positions in the chain; returns how many this call sealed.

    Without ``wait`` it returns at once when another process is sealing: that one looks for
    waiting entries again after it commits. ``wait`` (the management commands) waits for the
    lock, and ``sweep`` also seals entries whose queue row went missing.
    """
    sealed = 0
    rounds = 0
    while wait or rounds < SEAL_ROUNDS:
        rounds += 1
        with transaction.atomic():
            if not _lock(wait=wait):
                return sealed
            refs = _unsealed(sweep)
            if refs:
                sealed += _seal(refs)
        # After the commit: entries whose writers found the lock taken are visible now. (A
        # sweep has sealed every entry there is; a queue row left without its entry, deleted
        # before it was sealed, goes with the next seal from the queue.)
        if len(refs) < SEAL_BATCH and (sweep or not PendingSeal.objects.exists()):
            break
    if sealed and not wait:
        _checkpoint_if_due()
    return sealed


def _seal_after_commit() -> None:
    seal_pending()


_next_checkpoint_look = 0.0


def _checkpoint_if_due() -> None:
    """The web processes' own checkpoint, when the last one is older than the setting.

    Cheap: at most one look at the checkpoint file's age a minute per process. The hourly cron
    job is the schedule; this keeps checkpoints coming if the cron job stops.
    """
    global _next_checkpoint_look
    minutes = settings.ACCESS_LOG_CHECKPOINT_MINUTES
    if not minutes or time.monotonic() < _next_checkpoint_look:
        return
    _next_checkpoint_look = time.monotonic() + 60
    from privacy import checkpoints

    try:
        if checkpoints.age() > timedelta(minutes=minutes):
            checkpoints.write()
    except OSError:
        # The reader's access is logged and sealed; a checkpoint file that cannot be written
        # (a full or read-only volume) is for the operators, and the cron job reports it too.
        logger.exception("access log checkpoint could not be written to %s", checkpoints.path())


# ---- the chain's head, and the retention purge -------------------------------------------------


@dataclass(frozen=True)
class Head:
    """The end of the chain: what a checkpoint records."""

    count: int
    first_seq: int
    last_seq: int
    last_entry_id: int | None
    last_hash: str
    pending: int


def head() -> Head:
    last = (
        AccessLogSeal.objects.order_by("-seq").values_list("seq", "entry_ref", "chain_hash").first()
    )
    pending = PendingSeal.objects.count()
    if last is None:
        return Head(0, 0, 0, None, GENESIS, pending)
    first = AccessLogSeal.objects.order_by("seq").values_list("seq", flat=True).first() or 0
    return Head(last[0] - first + 1, first, last[0], last[1], last[2], pending)


@dataclass(frozen=True)
class Purge:
    """What a purge of the log removed: a run of positions at the start of the chain."""

    removed: int
    through_seq: int
    through_hash: str
    newest_removed_at: datetime | None
    cutoff: datetime


def retention_cutoff(now: datetime) -> datetime:
    """Entries older than this may go: ACCESS_LOG_RETENTION_DAYS, and never less than five
    calendar years (the database trigger's own limit; 1,826 days are less across two leap
    days)."""
    by_days = now - timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)
    try:
        five_years = now.replace(year=now.year - 5)
    except ValueError:  # 29 February
        five_years = now.replace(year=now.year - 5, day=28)
    return min(by_days, five_years)


def purge_expired(*, dry_run: bool = False) -> Purge:
    """Delete the entries (and their seals) at the start of the chain older than the cutoff.

    Only a run of whole positions from the start, so that the chain stays whole: an entry older
    than the cutoff behind a newer one waits for the next purge. The newest entry always stays
    (the next seal chains onto it). The caller records the result in a checkpoint.
    """
    seal_pending(wait=True, sweep=True)
    # The database's clock, which its trigger judges by: a server clock ahead of it must not
    # make the purge reach for entries the trigger keeps (and fail).
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        cutoff = retention_cutoff(cursor.fetchone()[0])
    with transaction.atomic():
        _lock(wait=True)
        last = AccessLogSeal.objects.order_by("-seq").values_list("seq", flat=True).first()
        if last is None:
            return Purge(0, 0, GENESIS, None, cutoff)
        kept = (
            AccessLogSeal.objects.filter(occurred_at__gte=cutoff)
            .order_by("seq")
            .values_list("seq", flat=True)
            .first()
        )
        keep_from = min(kept or last, last)
        doomed = AccessLogSeal.objects.filter(seq__lt=keep_from)
        found = doomed.aggregate(count=Count("seq"), newest=Max("occurred_at"))
        through_hash = (
            AccessLogSeal.objects.filter(seq=keep_from)
            .values_list("previous_hash", flat=True)
            .get()
        )
        result = Purge(found["count"], keep_from - 1, through_hash, found["newest"], cutoff)
        if dry_run or not result.removed:
            return result
        AccessLogEntry.objects.filter(pk__in=doomed.values("entry_ref")).delete()
        doomed.delete()
    return result
