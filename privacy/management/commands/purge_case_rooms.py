from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from privacy import services
from privacy.models import AccessLogEntry, CaseRoom


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
            help="Purge this one closed room now, before its retention ends (an erasure request).",
        )

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        if options["room"]:
            room = CaseRoom.objects.filter(pk=options["room"], purged_at__isnull=True).first()
            if room is None or room.status != CaseRoom.Status.CLOSED:
                raise CommandError("No such closed, unpurged case room; close it first.")
            rooms = [room]
        else:
            rooms = services.rooms_past_retention()
        for room in rooms:
            if dry_run:
                ended = f"{room.retention_until:%Y-%m-%d}"
                self.stdout.write(f"Would purge case room #{room.pk} (retention until {ended}).")
            else:
                counts = services.purge_room(room)
                summary = ", ".join(f"{n} {name}" for name, n in counts.items())
                self.stdout.write(f"Purged case room #{room.pk}: {summary}.")
        cutoff = timezone.now() - timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)
        old_entries = AccessLogEntry.objects.filter(occurred_at__lt=cutoff)
        if dry_run:
            self.stdout.write(
                f"Would delete {old_entries.count()} access-log entries before {cutoff:%Y-%m-%d}."
            )
        else:
            deleted = old_entries.delete()[0]
            if deleted:
                self.stdout.write(f"Deleted {deleted} access-log entries before {cutoff:%Y-%m-%d}.")
        verb = "would be purged" if dry_run else "purged"
        self.stdout.write(self.style.SUCCESS(f"{len(rooms)} case rooms {verb}."))
