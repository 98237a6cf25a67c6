from __future__ import annotations

from django.core.management.base import BaseCommand

from privacy import audit, checkpoints


class Command(BaseCommand):
    help = (
        "Seal the access-log entries still waiting, then append a checkpoint of the chain's head "
        "(entries, last position, entry id and hash, key id, time) to ACCESS_LOG_CHECKPOINT_FILE "
        "and the application log. Run hourly from cron; once a day with --email."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--email",
            action="store_true",
            help="Also e-mail the checkpoint to every privacy officer (once a day).",
        )

    def handle(self, *args, **options):
        sealed = audit.seal_pending(wait=True, sweep=True)
        data = checkpoints.write()
        self.stdout.write(
            f"Checkpoint: {data['count']} entries up to position {data['last_seq']} "
            f"(entry {data['last_entry_id']}, hash {data['last_hash']}, key {data['key_id']}); "
            f"{sealed} sealed now. Written to {checkpoints.path()}."
        )
        if options["email"]:
            sent = checkpoints.email_privacy_officers(data)
            self.stdout.write(f"E-mailed to {sent} privacy officers.")
