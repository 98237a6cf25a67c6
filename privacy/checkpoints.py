"""Checkpoints of the access log's chain, kept outside the database.

A checkpoint records the head of the chain (how many entries, the last position, entry id and
hash, the signing key's id, the time) as one JSON line, signed with the access-log key, in an
append-only file (``ACCESS_LOG_CHECKPOINT_FILE``) and in the application log; the daily one is
also e-mailed to the privacy officers. Someone who can rewrite the database cannot reach these
copies, so removing the newest entries, or rewriting the log up to its head, shows as a
difference with them (``privacy.verification``). A purge writes a checkpoint too, saying which
positions it removed.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core.links import absolute_url
from privacy import audit

logger = logging.getLogger("privacy.access_log")

CHECKPOINT = "checkpoint"
PURGE = "purge"


def path() -> Path:
    """The checkpoint file: the setting, or one per database under the checkout's .data/."""
    if settings.ACCESS_LOG_CHECKPOINT_FILE:
        return Path(settings.ACCESS_LOG_CHECKPOINT_FILE)
    name = connection.settings_dict.get("NAME") or "default"
    return Path(settings.BASE_DIR) / ".data" / "access-log" / f"{name}.jsonl"


def _message(data: dict[str, Any]) -> bytes:
    fields = {name: value for name, value in data.items() if name != "mac"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def write(purge: audit.Purge | None = None) -> dict[str, Any]:
    """Append a checkpoint of the chain's head (after a purge: with what it removed)."""
    head = audit.head()
    data: dict[str, Any] = {
        "kind": PURGE if purge else CHECKPOINT,
        "at": timezone.now().astimezone(UTC).isoformat(),
        "count": head.count,
        "first_seq": head.first_seq,
        "last_seq": head.last_seq,
        "last_entry_id": head.last_entry_id,
        "last_hash": head.last_hash,
        "pending": head.pending,
        "key_id": audit.signing_key_id(),
    }
    if purge is not None:
        newest = purge.newest_removed_at
        data |= {
            "removed": purge.removed,
            "through_seq": purge.through_seq,
            "through_hash": purge.through_hash,
            "newest_removed_at": newest.astimezone(UTC).isoformat() if newest else None,
            "cutoff": purge.cutoff.astimezone(UTC).isoformat(),
            "retention_days": settings.ACCESS_LOG_RETENTION_DAYS,
        }
    data["mac"] = audit.sign(data["key_id"], _message(data))
    line = json.dumps(data, sort_keys=True, separators=(",", ":"))
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    # One write() of a whole line to a file opened for appending: lines of two processes never
    # interleave, and nothing already written is touched.
    descriptor = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, (line + "\n").encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    logger.info("access log %s %s", data["kind"], line)
    return data


def age() -> timedelta:
    """How long ago the checkpoint file was last written (very long if it does not exist)."""
    try:
        written = path().stat().st_mtime
    except OSError:
        return timedelta.max
    return timedelta(seconds=max(0.0, datetime.now(UTC).timestamp() - written))


@dataclass(frozen=True)
class Checkpoint:
    """One authentic line of a checkpoint file."""

    data: dict[str, Any]
    source: str
    line: int

    @property
    def kind(self) -> str:
        return self.data["kind"]

    @property
    def at(self) -> datetime:
        return datetime.fromisoformat(self.data["at"])

    @property
    def last_seq(self) -> int:
        return int(self.data["last_seq"])

    @property
    def last_hash(self) -> str:
        return self.data["last_hash"]


@dataclass(frozen=True)
class BadLine:
    """A line that is not a checkpoint this platform signed: changed, or written by someone
    without the key (or with a key no longer in ACCESS_LOG_KEYS)."""

    source: str
    line: int
    unknown_key: str = ""


def read(extra: list[Path] | None = None) -> tuple[list[Checkpoint], list[BadLine], bool]:
    """Every checkpoint in the file (and in ``extra`` files, e.g. lines from the e-mails);
    (authentic checkpoints, bad lines, whether any file was there)."""
    found: list[Checkpoint] = []
    bad: list[BadLine] = []
    seen: set[str] = set()
    any_file = False
    for source in [path(), *(extra or [])]:
        try:
            text = source.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        any_file = True
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                valid = audit.signature_matches(data["key_id"], _message(data), data["mac"])
            except audit.UnknownKey as error:
                bad.append(BadLine(source.name, number, unknown_key=str(error)))
                continue
            except (ValueError, KeyError, TypeError):
                valid = False
            if not valid:
                bad.append(BadLine(source.name, number))
            elif data["mac"] not in seen:  # the same line from the file and an e-mail
                seen.add(data["mac"])
                found.append(Checkpoint(data, source.name, number))
    return found, bad, any_file


def email_privacy_officers(data: dict[str, Any]) -> int:
    """Send the checkpoint to every active privacy officer, one e-mail each; how many."""
    from accounts.models import User
    from accounts.roles import Role

    addresses = list(
        User.objects.filter(groups__name=Role.PRIVACY_OFFICER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not addresses:
        logger.warning("access log checkpoint: no privacy officer to e-mail it to")
        return 0
    context = {
        "site_name": settings.SITE_NAME,
        "at": datetime.fromisoformat(data["at"]),
        "checkpoint": data,
        "line": json.dumps(data, sort_keys=True, separators=(",", ":")),
        "url": absolute_url(reverse("privacy:verify_log")),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("privacy/email/access_log_checkpoint_subject.txt", context)
        body = render_to_string("privacy/email/access_log_checkpoint_message.txt", context)
    for address in addresses:
        send_mail(" ".join(subject.split()), body, None, [address])
    return len(addresses)
