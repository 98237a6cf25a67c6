from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo import channels as channels_demo
from demo import directory as directory_demo
from demo import insights as insights_demo
from demo import insights_targets as insights_targets_demo
from demo import knowledge as knowledge_demo
from demo import privacy as privacy_demo
from demo import pulse as pulse_demo


class Command(BaseCommand):
    help = "Load the fictional Heerlen demo data (idempotent). Refused when DEBUG is off."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load the demo even with DEBUG off (for a demonstration server only).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "Demo accounts have a published password; refusing with DEBUG off. "
                "Use --allow-production for a demonstration server."
            )
        counts = directory_demo.seed()
        counts |= channels_demo.seed()
        counts |= knowledge_demo.seed()
        counts |= privacy_demo.seed()
        counts |= insights_demo.seed()
        counts |= pulse_demo.seed()
        counts |= insights_targets_demo.seed()
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {summary}."))
        self.stdout.write(
            f"Sign in as e.g. {directory_demo.demo_email('beheer')} "
            f"with password {directory_demo.DEMO_PASSWORD}"
        )
