from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backup import archive as backup

#: the tables whose rows the summary names
SUMMARY = {
    "accounts_user": "users",
    "channels_app_message": "channel messages",
    "channels_app_attachment": "channel files",
    "privacy_caseroom": "case rooms",
    "privacy_casemessage": "case-room messages",
    "privacy_casefile": "case-room files",
    "privacy_accesslogentry": "access-log entries",
}


class Command(BaseCommand):
    help = (
        "Restore a backup archive made by manage.py backup into this installation, which must "
        "be empty (a database without tables, no files in MEDIA_ROOT, no checkpoint lines). "
        "Checks every file of the archive against its manifest first, then the restored row "
        "counts and files. Run verify_access_log afterwards, with the same ACCESS_LOG_KEYS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "archive",
            type=Path,
            help="The .tar file manage.py backup wrote, or - to read it from standard input.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            archive = options["archive"]
            restored = backup.restore(sys.stdin.buffer if str(archive) == "-" else archive)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        counts = ", ".join(
            f"{restored.counts.get(table, 0)} {label}" for table, label in SUMMARY.items()
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {restored.manifest['created_at']}: "
                f"{sum(restored.counts.values())} rows in {len(restored.counts)} tables "
                f"({counts}), {restored.files} files ({restored.bytes} bytes), "
                f"{restored.checkpoint_lines} checkpoint lines; all as the manifest says."
            )
        )
        if restored.unapplied:
            self.stdout.write(
                f"The backup predates {len(restored.unapplied)} migrations of this release: "
                "run manage.py migrate."
            )
        self.stdout.write("Next: manage.py verify_access_log, then manage.py purge_case_rooms.")
