"""Delete files uploaded for a message that was never sent.

The message box uploads a file as soon as it is chosen; one taken back is deleted at once, but
a tab closed before sending leaves its files unattached. Meant for cron, e.g. daily:
``python manage.py purge_unsent_files``.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from channels_app import services


class Command(BaseCommand):
    help = "Delete uploaded files that never went with a message."

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=24,
            help="Only files uploaded at least this many hours ago (someone may still send).",
        )

    def handle(self, *args, **options):
        count = services.purge_unsent_uploads(timedelta(hours=options["hours"]))
        self.stdout.write(f"Deleted {count} unsent file(s).")
