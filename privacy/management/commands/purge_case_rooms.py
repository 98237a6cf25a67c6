from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from privacy import audit, checkpoints, services
from privacy.models import CaseRoom


class Command(BaseCommand):
    help = (
        "Delete the content (messages, files, plan, Positieve Gezondheid records) of case rooms "
        "whose retention period has ended, and access-log entries older than "
        "ACCESS_LOG_RETENTION_DAYS. The rooms' access log is kept. Run daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only list what would be deleted."
        )
        parser.add_argument(
            "--room",
            type=int,
            help=(
                "Purge this one room now, before its retention ends: an erasure request (art. 17 "
                "GDPR). The room must be closed or its consent withdrawn; logged as an erasure."
            ),
        )

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        if options["room"]:
            room = CaseRoom.objects.filter(pk=options["room"], purged_at__isnull=True).first()
            # content stopped: closed, or consent withdrawn (the usual reason to ask for erasure)
            if room is None or room.content_stopped_at is None:
                raise CommandError(
                    "No such unpurged case room that is closed or whose consent was withdrawn; "
                    "close it first."
                )
            rooms = [room]
            purpose = audit.Purpose.ERASURE
        else:
            rooms = services.rooms_past_retention()
            purpose = audit.Purpose.RETENTION
        for room in rooms:
            if dry_run:
                ended = f"{room.retention_until:%Y-%m-%d}"
                self.stdout.write(f"Would purge case room #{room.pk} (retention until {ended}).")
            else:
                counts = services.purge_room(room, purpose=purpose)
                summary = ", ".join(f"{n} {name}" for name, n in counts.items())
                self.stdout.write(f"Purged case room #{room.pk}: {summary}.")
        # The log's own purge: whole positions from the start of its chain, recorded in a
        # checkpoint outside the database so that verify_access_log can tell it from tampering.
        purge = audit.purge_expired(dry_run=dry_run)
        if dry_run:
            self.stdout.write(
                f"Would delete {purge.removed} access-log entries before {purge.cutoff:%Y-%m-%d}."
            )
        elif purge.removed:
            checkpoints.write(purge)
            self.stdout.write(
                f"Deleted {purge.removed} access-log entries before {purge.cutoff:%Y-%m-%d} "
                f"(positions up to {purge.through_seq}); checkpoint written to "
                f"{checkpoints.path()}."
            )
        verb = "would be purged" if dry_run else "purged"
        self.stdout.write(self.style.SUCCESS(f"{len(rooms)} case rooms {verb}."))
