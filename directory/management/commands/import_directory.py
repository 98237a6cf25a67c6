from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from directory.importer import ImportReport, RowError, import_professionals


class Command(BaseCommand):
    help = (
        "Import professionals from a CSV file (columns: see docs/IMPORT.md). "
        "If any row has an error, nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file, comma- or semicolon-separated")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; save nothing."
        )
        parser.add_argument(
            "--no-progress", dest="progress", action="store_false", help="No progress bar."
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(reason)s") % {"file": path, "reason": exc.strerror}
            ) from None

        def progress(rows):
            return tqdm(rows, desc=path.name, unit="row", disable=not options["progress"])

        report = import_professionals(data, dry_run=options["dry_run"], progress=progress)
        if report.errors:
            self.stdout.write(format_errors(report.errors))
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
        self.write_details(report)

    def write_details(self, report: ImportReport) -> None:
        if report.organisations_created:
            self.stdout.write(
                _("New organisations (not yet verified): %(names)s")
                % {"names": ", ".join(report.organisations_created)}
            )
        if report.expertise_created:
            self.stdout.write(
                _("New expertise tags: %(names)s") % {"names": ", ".join(report.expertise_created)}
            )
        if hint := report.password_hint():
            self.stdout.write(self.style.WARNING(hint))


def format_errors(errors: list[RowError]) -> str:
    """The errors as a plain-text table: row, column, problem."""
    header = (_("Row"), _("Column"), _("Problem"))
    lines = [(str(e.row) if e.row is not None else "-", e.column or "-", e.message) for e in errors]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(2)]
    return "\n".join(
        f"{row:<{widths[0]}}  {column:<{widths[1]}}  {message}"
        for row, column, message in [header, *lines]
    )
