from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backup import archive as backup


class Command(BaseCommand):
    help = (
        "Write a backup archive (tar): a pg_dump of one snapshot of the database, the uploaded "
        "files, the access log's checkpoint file and a manifest with row counts and SHA-256 "
        "hashes. Holds personal data but no keys: keep SECRET_KEY, MFA_ENCRYPTION_KEYS and "
        "ACCESS_LOG_KEYS apart from it. Restore with manage.py restore."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            required=True,
            metavar="FILE_OR_DIR",
            help="A new file to write, a directory to put wijkplatform-<time>.tar in, or - for "
            "standard output (the summary then goes to standard error).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"]
        to_stdout = str(output) == "-"
        try:
            made = backup.backup(sys.stdout.buffer if to_stdout else output)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        manifest = made.manifest
        for name in manifest["missing_media"]:
            self.stderr.write(f"Missing from MEDIA_ROOT (deleted during the backup?): {name}")
        rows = sum(manifest["counts"].values())
        (self.stderr if to_stdout else self.stdout).write(
            self.style.SUCCESS(
                f"Backup written to {made.path or 'standard output'}: {rows} rows in "
                f"{len(manifest['counts'])} tables, {made.files} files, "
                f"{made.checkpoint_lines} checkpoint lines."
            )
        )
