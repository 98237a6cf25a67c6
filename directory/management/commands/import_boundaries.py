from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from directory.boundaries import DEFAULT_TOLERANCE, BoundaryError, import_boundaries, read_areas


class Command(BaseCommand):
    help = (
        "Load the outlines of the neighbourhoods for the social map from a GeoJSON file in "
        "WGS 84, such as CBS's wijk- en buurtkaart (see docs/IMPORT.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="GeoJSON file (FeatureCollection)")
        parser.add_argument(
            "--municipality",
            help="Only the features of this municipality (property gemeentenaam); also the "
            "municipality of neighbourhoods created with --create.",
        )
        parser.add_argument(
            "--name-property",
            help="The property that names a feature (default: the first of buurtnaam, "
            "wijknaam, name, naam that it has).",
        )
        parser.add_argument(
            "--code-property",
            help="The property with a feature's code (default: buurtcode, wijkcode or code).",
        )
        parser.add_argument(
            "--create",
            action="store_true",
            help="Create a neighbourhood for each feature that matches none by name.",
        )
        parser.add_argument(
            "--tolerance",
            type=float,
            default=DEFAULT_TOLERANCE,
            help=f"Simplify outlines to this many degrees (default {DEFAULT_TOLERANCE}; 0 keeps "
            "every point).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; save nothing."
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(reason)s") % {"file": path, "reason": exc.strerror}
            ) from None
        try:
            areas = read_areas(
                data,
                name_property=options["name_property"],
                code_property=options["code_property"],
                municipality=options["municipality"],
                tolerance=options["tolerance"],
            )
            report = import_boundaries(areas, create=options["create"], dry_run=options["dry_run"])
        except BoundaryError as error:
            raise CommandError(str(error)) from None
        for label, names in [
            ("Boundaries stored", report.updated),
            ("Neighbourhoods created", report.created),
            ("Not a neighbourhood here (use --create to add them)", report.unmatched),
            ("Neighbourhoods still without a boundary", report.missing),
        ]:
            if names:
                self.stdout.write(f"{label}: {', '.join(names)}")
        stored = len(report.updated) + len(report.created)
        summary = f"{stored} boundaries {'checked' if report.dry_run else 'stored'}."
        if report.dry_run:
            summary += " Dry run: nothing was saved."
        self.stdout.write(self.style.SUCCESS(summary) if stored else self.style.WARNING(summary))
