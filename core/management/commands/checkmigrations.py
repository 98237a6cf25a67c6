from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.migrations.loader import MigrationLoader

from core.migration_safety import ACCEPTED, accepted, problems, project_migrations, unchecked


class Command(BaseCommand):
    help = (
        "Name every migration a rolling upgrade cannot take (a lock on a busy table, or a "
        "schema the previous release cannot run on), among those not accepted in "
        "core/accepted_migrations.txt. Exit status 1 when there is one. Reads the migration "
        "files only; needs no database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--accepted",
            default=str(ACCEPTED),
            help="The list of accepted migrations (default core/accepted_migrations.txt).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from pathlib import Path

        loader = MigrationLoader(None, ignore_no_migrations=True)
        accepted_pairs = accepted(Path(options["accepted"]))
        stale = accepted_pairs - set(project_migrations(loader))
        if stale:
            names = ", ".join(f"{app}.{name}" for app, name in sorted(stale))
            raise CommandError(f"The accepted list names migrations that do not exist: {names}")
        checked = 0
        failures = []
        for migration, before in unchecked(loader, accepted_pairs):
            checked += 1
            for problem in problems(migration, before):
                failures.append(f"{migration.app_label}.{migration.name}: {problem}")
        for failure in failures:
            self.stderr.write(failure)
        if failures:
            raise CommandError(
                f"{len(failures)} operation(s) not safe for a rolling upgrade: see "
                'docs/DEPLOY.md, "Migrations".'
            )
        self.stdout.write(f"{checked} new migration(s) checked: safe for a rolling upgrade.")
