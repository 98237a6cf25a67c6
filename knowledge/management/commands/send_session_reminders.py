from __future__ import annotations

from django.core.management.base import BaseCommand

from knowledge.services import send_reminders


class Command(BaseCommand):
    help = (
        "E-mail a reminder to everyone registered for a learning session that starts soon. "
        "Each registration is reminded once, so the command can run as often as you like."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=24,
            help="Remind of sessions starting within this many hours (default 24).",
        )

    def handle(self, *args, **options):
        sent = send_reminders(hours=options["hours"])
        self.stdout.write(f"Sent {sent} reminder(s).")
