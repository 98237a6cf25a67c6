from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

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
        "ended quarter (see docs/PRIVACY.md). With --report, then writes the quarterly report "
        "as PDF: of the --quarter given, else of the last quarter that has ended."
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
        parser.add_argument(
            "--report",
            action="store_true",
            help="Also write the quarterly report (PDF) of the last ended quarter, or of the "
            "one --quarter names.",
        )
        parser.add_argument(
            "--output",
            default=".",
            metavar="PATH",
            help="Where --report writes: a directory (the file is named after the quarter, "
            "wijkplatform-kwartaalrapportage-2026Q3.pdf) or a file name ending in .pdf. "
            "Default: the current directory.",
        )

    def handle(self, *args, **options):
        try:
            asked = [Quarter.parse(text) for text in options["quarter"]]
        except ValueError as error:
            raise CommandError(str(error)) from None
        current = Quarter.current()
        if any(quarter > current for quarter in asked):
            raise CommandError(f"{max(asked)} has not started yet.")
        if options["report"] and len(set(asked)) > 1:
            raise CommandError("--report makes one quarter's report: give one --quarter.")
        target = self._report_path(options) if options["report"] else None
        if asked:
            quarters = sorted(set(asked))
        else:
            quarters = quarters_between(min(first_quarter(), current), current)
            if not options["all"]:
                final = set(
                    ComputedQuarter.objects.filter(final=True).values_list("quarter", flat=True)
                )
                quarters = [quarter for quarter in quarters if str(quarter) not in final]
        reported = asked[0] if asked else current.previous()
        if target is not None and not ComputedQuarter.objects.filter(quarter=str(reported)):
            quarters = sorted({*quarters, reported})  # before the first activity: all zero
        people = People.load()
        for quarter in quarters:
            stored = compute_quarter(quarter, people)
            compute_reach(quarter, people)
            self.stdout.write(f"{quarter}: {stored} figures")
        self.stdout.write(self.style.SUCCESS(f"Computed {len(quarters)} quarter(s)."))
        # the pulse of an ended quarter: answers no longer joinable to the people who gave them
        for quarter in pulse.close_quarters(current):
            self.stdout.write(f"{quarter}: pulse closed")
        if target is not None:
            self._write_report(reported, target)

    def _report_path(self, options) -> Path:
        path = Path(options["output"])
        if path.suffix.lower() != ".pdf" and not path.is_dir():
            raise CommandError(f"--output {path}: not a directory, nor a file name ending in .pdf.")
        if path.suffix.lower() == ".pdf" and not path.parent.is_dir():
            raise CommandError(f"--output {path}: the directory {path.parent} does not exist.")
        return path

    def _write_report(self, quarter: Quarter, path: Path) -> None:
        # imported here: the PDF renderer loads Pango, which only the report needs
        from insights.pdf import build_report, render_pdf

        with translation.override(settings.LANGUAGE_CODE):
            try:
                report = build_report(quarter)
            except ComputedQuarter.DoesNotExist:
                raise CommandError(f"{quarter} has not been computed.") from None
            if path.suffix.lower() != ".pdf":
                path = path / report.filename
            path.write_bytes(render_pdf(report))
        self.stdout.write(self.style.SUCCESS(f"{quarter}: report written to {path}"))
