from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from privacy.audit import verify_chain


class Command(BaseCommand):
    help = (
        "Check the access log's hash chain; report the first broken link (exit status 1) or how "
        "many entries are intact."
    )

    def handle(self, *args, **options):
        checked, broken = verify_chain()
        if broken is not None:
            what = {
                "entry_hash": "its contents do not match its hash (changed after writing)",
                "previous_hash": "it does not follow the entry before it (entries removed or "
                "inserted)",
            }[broken.reason]
            raise CommandError(
                f"Access log broken at entry {broken.entry_id}: {what}. "
                f"{checked} entries before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(f"Access log intact: {checked} entries checked."))
