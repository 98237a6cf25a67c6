"""The NEN 7513 access log: writing entries, chaining them, and checking the chain.

Every entry stores the SHA-256 hash of its own fields plus the hash of the entry before it.
Changing, inserting or removing an entry in the middle of the log breaks the chain from that
point on, which ``verify_chain`` reports. Appends are serialised (an advisory lock on
PostgreSQL) so that two processes cannot both chain onto the same predecessor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from privacy.models import AccessLogEntry

GENESIS = "0" * 64
# Arbitrary but fixed: the key of the advisory lock that serialises appends.
_LOCK_KEY = 7513

Action = AccessLogEntry.Action
Outcome = AccessLogEntry.Outcome


class Purpose:
    """Purposes of use, as stored in the log (stable codes, shown translated)."""

    CARE = "care_coordination"
    SUPERVISION = "supervision"
    SUBJECT_ACCESS = "subject_access"
    RETENTION = "retention"


HASHED_FIELDS = [
    "event_id", "action", "occurred_at", "outcome", "user_id_ref", "user_name", "role",
    "acted_for_id_ref", "acted_for_name", "purpose", "ip_address", "room_id_ref", "object_type",
    "object_id", "detail", "previous_hash",
]  # fmt: skip


def _canonical(entry: AccessLogEntry) -> bytes:
    values: dict[str, Any] = {}
    for name in HASHED_FIELDS:
        value = getattr(entry, name)
        if name == "occurred_at":
            value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif name == "event_id":
            value = str(value)
        values[name] = value
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str).encode()


def compute_hash(entry: AccessLogEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


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
    """Append one entry. ``detail`` must never carry case content or the pseudonym."""
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
        ip_address=address,
        room_id_ref=room_id,
        object_type=object_type,
        object_id=str(object_id or "")[:40],
        detail=detail[:200],
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        last = AccessLogEntry.objects.order_by("-pk").values_list("entry_hash", flat=True).first()
        entry.previous_hash = last or GENESIS
        entry.entry_hash = compute_hash(entry)
        entry.save(force_insert=True)
    return entry


@dataclass(frozen=True)
class BrokenLink:
    entry_id: int
    reason: str


def verify_chain(entries: Iterable[AccessLogEntry] | None = None) -> tuple[int, BrokenLink | None]:
    """Walk the log oldest first; return (entries checked, the first broken link or None).

    The oldest remaining entry may point at an entry purged after its retention period; its
    own hash is still checked.
    """
    if entries is None:
        entries = AccessLogEntry.objects.order_by("pk").iterator(chunk_size=2000)
    checked = 0
    previous: str | None = None
    for entry in _iterate(entries):
        if previous is not None and entry.previous_hash != previous:
            return checked, BrokenLink(entry.pk, "previous_hash")
        if compute_hash(entry) != entry.entry_hash:
            return checked, BrokenLink(entry.pk, "entry_hash")
        previous = entry.entry_hash
        checked += 1
    return checked, None


def _iterate(entries: Iterable[AccessLogEntry]) -> Iterator[AccessLogEntry]:
    yield from entries
