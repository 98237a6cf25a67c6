"""Verifying the access log: every entry and seal against the key, the chain, the checkpoints.

What it finds, and how:

- an entry changed after writing: its ``entry_hash`` is an HMAC of its fields under a key
  outside the database, and its seal's hash covers that ``entry_hash`` (for the plain SHA-256
  entries from before the keyed chain, the seal is what protects them);
- an entry removed in the middle: a position whose entry is gone, or a gap in the positions, or
  a seal that does not follow the one before it;
- entries removed at the end: a checkpoint (outside the database) recorded a position, with its
  hash, that is no longer there or no longer the same;
- entries removed at the start: the chain starts later than the last recorded purge left it;
  with the checkpoints it can tell whether those entries were still within their retention;
- a log rewritten and chained anew without the key: the seals' hashes do not match;
- a purge that removed entries still within the retention period: each purge records the time
  of the newest entry it removed.

``run`` stores the outcome in an ``AccessLogVerification`` for the privacy officer's log page;
``start`` runs it in a background thread from that page.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from privacy import audit, checkpoints
from privacy.models import AccessLogEntry, AccessLogSeal, AccessLogVerification

logger = logging.getLogger("privacy.access_log")

CHUNK = 2000
#: problems kept in a report; a log rewritten from the start would otherwise list every entry
MAX_PROBLEMS = 50
#: a run that has not finished after this long is taken to have died with its process
STALE_RUN = timedelta(hours=2)


@dataclass(frozen=True)
class Problem:
    """Something the verification found; ``code`` with the values its description needs."""

    code: str
    values: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, **self.values}


def describe(problem: dict[str, Any]) -> str:
    """A problem stored as a dict (``Problem.as_dict``), in the active language."""
    values = {
        name: date_format(timezone.localtime(datetime.fromisoformat(value)), "DATETIME_FORMAT")
        if name in {"at", "newest"} and value
        else value
        for name, value in problem.items()
    }
    texts = {
        "entry_changed": _(
            "Entry %(entry)s (position %(seq)s) was changed after it was written: its contents "
            "do not match its signature."
        ),
        "entry_missing": _("Entry %(entry)s (position %(seq)s) has been removed from the log."),
        "positions_missing": _(
            "Positions %(first)s to %(last)s are missing: entries and their seals were removed "
            "from the middle of the log."
        ),
        "chain_broken": _(
            "Position %(seq)s does not follow the position before it: entries were removed or "
            "the log was rewritten there."
        ),
        "seal_forged": _(
            "Position %(seq)s (entry %(entry)s) does not match its seal: the entry or the chain "
            "was rewritten without the key."
        ),
        "unknown_key": _(
            "Position %(seq)s is signed with key “%(key)s”, which is not in ACCESS_LOG_KEYS: "
            "the key was removed too early, or someone else signed it."
        ),
        "legacy_after_keyed": _(
            "Entry %(entry)s (position %(seq)s) claims to be from before the keyed chain but "
            "comes after keyed entries: it was changed."
        ),
        "legacy_chain": _(
            "Entry %(entry)s (position %(seq)s) does not follow the entry before it in the "
            "old (unkeyed) chain."
        ),
        "checkpoint_differs": _(
            "The checkpoint of %(at)s recorded position %(seq)s with another hash: the log was "
            "changed up to there after that checkpoint."
        ),
        "tail_removed": _(
            "The checkpoint of %(at)s recorded the log up to position %(seq)s, but it now ends "
            "at position %(last)s: the newest entries were removed."
        ),
        "head_removed": _(
            "Positions %(first)s to %(last)s at the start of the log were removed, and no "
            "recorded purge removed them."
        ),
        "head_removed_within_retention": _(
            "Positions %(first)s to %(last)s at the start of the log were removed without a "
            "recorded purge, and entries written after the checkpoint of %(at)s were still "
            "within their retention period."
        ),
        "purge_boundary": _(
            "The purge of %(at)s left the log starting at position %(seq)s with another hash "
            "than the log now has there."
        ),
        "purge_within_retention": _(
            "The purge of %(at)s removed entries from as late as %(newest)s, within the "
            "retention period of %(days)s days."
        ),
        "checkpoint_forged": _(
            "Line %(line)s of checkpoint file %(file)s is not a checkpoint this platform "
            "signed: it was changed, or written without the key."
        ),
        "checkpoint_unknown_key": _(
            "Line %(line)s of checkpoint file %(file)s is signed with key “%(key)s”, which is "
            "not in ACCESS_LOG_KEYS."
        ),
        "no_checkpoints": _(
            "There is no checkpoint file: removing the newest entries cannot be detected. "
            "Schedule manage.py checkpoint_access_log."
        ),
        "entries_restored": _(
            "The log holds positions a purge removed (up to %(last)s): restored from a backup?"
        ),
        "more": _("And %(count)s more."),
    }
    text = texts.get(problem["code"], problem["code"])
    return text % values


@dataclass
class Report:
    entries: int = 0
    checkpoints: int = 0
    sealed_now: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: not a sign of tampering, but worth knowing (no checkpoints yet, a restored backup)
    warnings: list[Problem] = field(default_factory=list)
    omitted: int = 0
    keys: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def intact(self) -> bool:
        return not self.problems

    def add(self, code: str, **values: Any) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(code, values))
        else:
            self.omitted += 1

    def stored_problems(self) -> list[dict[str, Any]]:
        found = [p.as_dict() for p in self.problems + self.warnings]
        if self.omitted:
            found.append({"code": "more", "count": self.omitted})
        return found


def _seals() -> Iterator[tuple[AccessLogSeal, dict[str, Any] | None]]:
    """Every seal in order, with its entry's field values (None: the entry is gone)."""
    fields = ["id", "key_id", "entry_hash", *audit.HASHED_FIELDS]
    after = 0
    while True:
        chunk = list(AccessLogSeal.objects.filter(seq__gt=after).order_by("seq")[:CHUNK])
        if not chunk:
            return
        entries = {
            row["id"]: row
            for row in AccessLogEntry.objects.filter(
                pk__in=[seal.entry_ref for seal in chunk]
            ).values(*fields)
        }
        for seal in chunk:
            yield seal, entries.get(seal.entry_ref)
        after = chunk[-1].seq


def _check_seal(
    report: Report, seal: AccessLogSeal, entry: dict[str, Any] | None, seen_keyed: bool
) -> None:
    if seal.key_id not in settings.ACCESS_LOG_KEYS:
        report.add("unknown_key", seq=seal.seq, key=seal.key_id)
        return
    if entry is None:
        report.add("entry_missing", seq=seal.seq, entry=seal.entry_ref)
        return
    expected = audit.seal_hash(
        seal.key_id, seal.seq, seal.entry_ref, entry["entry_hash"], seal.occurred_at,
        seal.previous_hash,
    )  # fmt: skip
    if expected != seal.chain_hash:
        report.add("seal_forged", seq=seal.seq, entry=seal.entry_ref)
        return
    if entry["key_id"] and entry["key_id"] not in settings.ACCESS_LOG_KEYS:
        report.add("unknown_key", seq=seal.seq, key=entry["key_id"])
    elif not entry["key_id"] and seen_keyed:
        report.add("legacy_after_keyed", seq=seal.seq, entry=seal.entry_ref)
    elif audit.entry_hash(entry) != entry["entry_hash"]:
        report.add("entry_changed", seq=seal.seq, entry=seal.entry_ref)


def verify(extra_checkpoints: list[Path] | None = None) -> Report:
    """Check the whole log against its keys and the checkpoints outside the database."""
    report = Report()
    report.sealed_now = audit.seal_pending(wait=True, sweep=True)
    found, bad_lines, any_file = checkpoints.read(extra_checkpoints)
    for bad in bad_lines:
        if bad.unknown_key:
            report.add("checkpoint_unknown_key", line=bad.line, file=bad.source,
                       key=bad.unknown_key)  # fmt: skip
        else:
            report.add("checkpoint_forged", line=bad.line, file=bad.source)
    if not any_file:
        report.warnings.append(Problem("no_checkpoints"))
    report.checkpoints = len(found)
    wanted: dict[int, list[checkpoints.Checkpoint]] = defaultdict(list)
    for checkpoint in found:
        wanted[checkpoint.last_seq].append(checkpoint)
    purges = [c for c in found if c.kind == checkpoints.PURGE]
    last_purge = max(purges, key=lambda c: c.data["through_seq"], default=None)

    first_seq: int | None = None
    previous: AccessLogSeal | None = None
    previous_entry: dict[str, Any] | None = None
    seen_keyed = False
    for seal, entry in _seals():
        report.entries += 1
        report.keys[seal.key_id] += 1
        if previous is None:
            first_seq = seal.seq
        elif seal.seq != previous.seq + 1:
            report.add("positions_missing", first=previous.seq + 1, last=seal.seq - 1)
        elif seal.previous_hash != previous.chain_hash:
            report.add("chain_broken", seq=seal.seq)
        _check_seal(report, seal, entry, seen_keyed)
        if entry is not None:
            if (
                not entry["key_id"]
                and previous_entry is not None
                and not previous_entry["key_id"]
                and previous is not None
                and previous.seq == seal.seq - 1
                and entry["previous_hash"] != previous_entry["entry_hash"]
            ):
                report.add("legacy_chain", seq=seal.seq, entry=seal.entry_ref)
            seen_keyed = seen_keyed or bool(entry["key_id"])
        for checkpoint in wanted.get(seal.seq, ()):
            if checkpoint.last_hash != seal.chain_hash:
                report.add("checkpoint_differs", at=checkpoint.data["at"], seq=seal.seq)
        if (
            last_purge is not None
            and seal.seq == last_purge.data["through_seq"] + 1
            and seal.previous_hash != last_purge.data["through_hash"]
        ):
            report.add("purge_boundary", at=last_purge.data["at"], seq=seal.seq)
        previous, previous_entry = seal, entry

    last_seq = previous.seq if previous is not None else 0
    _check_ends(report, found, first_seq, last_seq, last_purge)
    retention = timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)
    for purge in purges:
        newest = purge.data.get("newest_removed_at")
        if newest and datetime.fromisoformat(newest) > purge.at - retention:
            report.add("purge_within_retention", at=purge.data["at"], newest=newest,
                       days=settings.ACCESS_LOG_RETENTION_DAYS)  # fmt: skip
    return report


def _check_ends(
    report: Report,
    found: list[checkpoints.Checkpoint],
    first_seq: int | None,
    last_seq: int,
    last_purge: checkpoints.Checkpoint | None,
) -> None:
    """The end against the newest checkpoints, the start against the last purge."""
    for checkpoint in found:
        if checkpoint.last_seq > last_seq:
            report.add("tail_removed", at=checkpoint.data["at"], seq=checkpoint.last_seq,
                       last=last_seq)  # fmt: skip
            break
    purged_through = last_purge.data["through_seq"] if last_purge else 0
    if first_seq is None:
        return
    if first_seq > purged_through + 1:
        newest_removed = first_seq - 1
        # That entry was written after every checkpoint that ends before it.
        before = [c for c in found if c.last_seq < newest_removed]
        latest = max(before, key=lambda c: c.at, default=None)
        cutoff = timezone.now() - timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)
        if latest is not None and latest.at > cutoff:
            report.add("head_removed_within_retention", first=purged_through + 1,
                       last=newest_removed, at=latest.data["at"])  # fmt: skip
        else:
            report.add("head_removed", first=purged_through + 1, last=newest_removed)
    elif first_seq <= purged_through:
        report.warnings.append(Problem("entries_restored", {"last": purged_through}))


# ---- stored runs ---------------------------------------------------------------------------------


def _finish(run: AccessLogVerification, extra_checkpoints: list[Path] | None) -> None:
    try:
        report = verify(extra_checkpoints)
    except Exception:
        logger.exception("access log verification %s could not finish", run.pk)
        run.outcome = AccessLogVerification.Outcome.FAILED
    else:
        run.outcome = (
            AccessLogVerification.Outcome.INTACT
            if report.intact
            else AccessLogVerification.Outcome.BROKEN
        )
        run.entries_checked = report.entries
        run.checkpoints_checked = report.checkpoints
        run.problems = report.stored_problems()
        log = logger.info if report.intact else logger.error
        log("access log verification %s: %s, %s entries, %s checkpoints, problems: %s",
            run.pk, run.outcome, report.entries, report.checkpoints, run.problems)  # fmt: skip
    run.finished_at = timezone.now()
    run.save(update_fields=["outcome", "entries_checked", "checkpoints_checked", "problems",
                            "finished_at"])  # fmt: skip


def run(*, by: Any = None, extra_checkpoints: list[Path] | None = None) -> AccessLogVerification:
    """Verify now, in this thread, and store the outcome."""
    verification = AccessLogVerification.objects.create(**_starter(by))
    _finish(verification, extra_checkpoints)
    return verification


def _starter(by: Any) -> dict[str, Any]:
    if by is None:
        return {"started_by_name": "manage.py verify_access_log"}
    return {"started_by_ref": by.pk, "started_by_name": (by.display_name or by.email)[:150]}


def running() -> AccessLogVerification | None:
    """A run that is still going (and recent enough to be alive)."""
    return AccessLogVerification.objects.filter(
        outcome=AccessLogVerification.Outcome.RUNNING,
        started_at__gt=timezone.now() - STALE_RUN,
    ).first()


def latest() -> AccessLogVerification | None:
    return AccessLogVerification.objects.first()


THREAD_NAME = "verify-access-log"


def start(by: Any) -> tuple[AccessLogVerification, bool]:
    """Start a verification in a background thread of this process, unless one runs already.

    A whole log takes from seconds to minutes, too long for a request; the page shows the
    outcome when it is there. Returns the run and whether this call started it. The thread
    starts once the run's row is committed (it reads it on its own connection).
    """
    current = running()
    if current is not None:
        return current, False
    verification = AccessLogVerification.objects.create(**_starter(by))

    def work() -> None:
        close_old_connections()
        try:
            _finish(verification, None)
        finally:
            connection.close()

    def launch() -> None:
        threading.Thread(target=work, name=THREAD_NAME, daemon=True).start()

    transaction.on_commit(launch)
    return verification, True
