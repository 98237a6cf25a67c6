from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from insights import pulse
from insights.compute import People, compute_quarter, first_quarter
from insights.models import ComputedQuarter
from insights.quarters import Quarter, quarters_between
from insights.reach import compute_reach


class Command(BaseCommand):
    help = (
        "Compute the coalition's quarterly figures into the aggregate tables. Without options, "
        "every quarter that is not final yet (the current one, and any not computed since it "
        "ended); safe to run from cron as often as wanted. Also closes the pulse of every "
        "ended quarter (see docs/PRIVACY.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--quarter",
            action="append",
            default=[],
            metavar="2026Q3",
            help="Recompute this quarter (repeatable).",
        )
        parser.add_argument(
            "--all", action="store_true", help="Recompute every quarter, final ones included."
        )

    def handle(self, *args, **options):
        try:
            asked = [Quarter.parse(text) for text in options["quarter"]]
        except ValueError as error:
            raise CommandError(str(error)) from None
        current = Quarter.current()
        if any(quarter > current for quarter in asked):
            raise CommandError(f"{max(asked)} has not started yet.")
        if asked:
            quarters = sorted(set(asked))
        else:
            quarters = quarters_between(min(first_quarter(), current), current)
            if not options["all"]:
                final = set(
                    ComputedQuarter.objects.filter(final=True).values_list("quarter", flat=True)
                )
                quarters = [quarter for quarter in quarters if str(quarter) not in final]
        people = People.load()
        for quarter in quarters:
            stored = compute_quarter(quarter, people)
            compute_reach(quarter, people)
            self.stdout.write(f"{quarter}: {stored} figures")
        self.stdout.write(self.style.SUCCESS(f"Computed {len(quarters)} quarter(s)."))
        # the pulse of an ended quarter: answers no longer joinable to the people who gave them
        for quarter in pulse.close_quarters(current):
            self.stdout.write(f"{quarter}: pulse closed")
