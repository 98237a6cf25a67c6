from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privacy import verification
from privacy.models import AccessLogVerification


class Command(BaseCommand):
    help = (
        "Verify the access log: every entry and seal against ACCESS_LOG_KEYS, the chain without "
        "gaps, and the chain's head and purges against the checkpoints outside the database. "
        "Seals entries still waiting first. Stores the outcome (shown on the privacy officer's "
        "log page); exit status 1 when something is wrong. Run daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            type=Path,
            action="append",
            default=[],
            metavar="FILE",
            help="Also compare with the checkpoint lines in FILE (e.g. saved from the daily "
            "e-mails to the privacy officers); may be given more than once.",
        )

    def handle(self, *args, **options):
        for path in options["checkpoints"]:
            if not path.is_file():
                raise CommandError(f"No such checkpoint file: {path}")
        run = verification.run(extra_checkpoints=options["checkpoints"])
        for problem in run.problems:
            self.stdout.write(verification.describe(problem))
        summary = (
            f"{run.entries_checked} entries and {run.checkpoints_checked} checkpoints checked."
        )
        if run.outcome == AccessLogVerification.Outcome.FAILED:
            raise CommandError("The verification could not finish; see the application log.")
        if run.outcome != AccessLogVerification.Outcome.INTACT:
            first = verification.describe(run.problems[0])
            raise CommandError(f"Access log broken: {first} {summary}")
        self.stdout.write(self.style.SUCCESS(f"Access log intact: {summary}"))
