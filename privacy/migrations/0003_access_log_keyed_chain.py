"""The access log's keyed chain: entries signed with HMAC, seals, and stored verifications.

- ``AccessLogEntry.key_id``: the id of the ACCESS_LOG_KEYS key that signed the entry; empty for
  the entries already there, whose plain SHA-256 hashes and chain stay as they are (the table
  refuses UPDATE, and rewriting the evidence would defeat its purpose).
- ``AccessLogSeal``: the chain, append-only under the same trigger as the log. The entries
  already there are sealed here, in their old order, with the current key: from now on they are
  as protected as new ones (changing one breaks its seal, which needs the key).
- ``PendingSeal``: the queue of entries waiting for their seal.
- ``AccessLogVerification``: the outcome of each verification, for the privacy officer.

Both triggers are made ``ENABLE ALWAYS``: an ordinary trigger is skipped by a session that sets
``session_replication_role = replica`` (which the application's own database user may, when it
is a superuser, as with the embedded server and the official PostgreSQL image). Only
``ALTER TABLE ... DISABLE TRIGGER`` by the table's owner gets around them then, and the chain
and the checkpoints outside the database are what find such edits.

Sealing needs ACCESS_LOG_KEYS (or, with DEBUG on, the key derived from SECRET_KEY) as the
platform will run with it. Reversing drops the seals; entries written since keep their HMACs,
which the previous release's verification reports as changed.
"""

import django.utils.timezone
from django.db import migrations, models

TRIGGERS = """
CREATE OR REPLACE FUNCTION privacy_access_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.occurred_at < now() - interval '5 years' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER privacy_access_log_seal_append_only
    BEFORE UPDATE OR DELETE ON privacy_accesslogseal
    FOR EACH ROW EXECUTE FUNCTION privacy_access_log_append_only();

ALTER TABLE privacy_accesslogentry ENABLE ALWAYS TRIGGER privacy_access_log_append_only;
ALTER TABLE privacy_accesslogseal ENABLE ALWAYS TRIGGER privacy_access_log_seal_append_only;
"""

DROP_TRIGGERS = """
ALTER TABLE privacy_accesslogentry ENABLE TRIGGER privacy_access_log_append_only;
DROP TRIGGER IF EXISTS privacy_access_log_seal_append_only ON privacy_accesslogseal;

CREATE OR REPLACE FUNCTION privacy_access_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.occurred_at < now() - interval '5 years' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'privacy_accesslogentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

GENESIS = "0" * 64


def seal_existing_entries(apps, schema_editor):
    # The signature scheme is the application's (privacy.audit), so that these seals verify
    # exactly like the ones the platform writes from now on.
    from privacy import audit

    entry_model = apps.get_model("privacy", "AccessLogEntry")
    seal_model = apps.get_model("privacy", "AccessLogSeal")
    key_id = audit.signing_key_id()
    now = django.utils.timezone.now()
    seq, previous, after = 0, GENESIS, 0
    while True:
        rows = list(
            entry_model.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "entry_hash", "occurred_at")[:5000]
        )
        if not rows:
            break
        seals = []
        for pk, hashed, occurred_at in rows:
            seq += 1
            chain = audit.seal_hash(key_id, seq, pk, hashed, occurred_at, previous)
            seals.append(
                seal_model(seq=seq, entry_ref=pk, occurred_at=occurred_at, previous_hash=previous,
                           chain_hash=chain, key_id=key_id, sealed_at=now)
            )  # fmt: skip
            previous = chain
        seal_model.objects.bulk_create(seals)
        after = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [("privacy", "0002_access_log_append_only")]

    operations = [
        migrations.AddField(
            model_name="accesslogentry",
            name="key_id",
            field=models.CharField(blank=True, default="", editable=False, max_length=20),
        ),
        migrations.CreateModel(
            name="AccessLogSeal",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False)),
                ("entry_ref", models.BigIntegerField(unique=True)),
                ("occurred_at", models.DateTimeField()),
                ("previous_hash", models.CharField(max_length=64)),
                ("chain_hash", models.CharField(max_length=64)),
                ("key_id", models.CharField(max_length=20)),
                ("sealed_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "access log seal",
                "verbose_name_plural": "access log seals",
                "ordering": ["seq"],
            },
        ),
        migrations.CreateModel(
            name="PendingSeal",
            fields=[
                ("entry_ref", models.BigIntegerField(primary_key=True, serialize=False)),
            ],
        ),
        migrations.CreateModel(
            name="AccessLogVerification",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "started_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="started"),
                ),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="finished"),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("running", "Running"),
                            ("intact", "Intact"),
                            ("broken", "Broken"),
                            ("failed", "Could not finish"),
                        ],
                        default="running",
                        max_length=10,
                        verbose_name="outcome",
                    ),
                ),
                ("started_by_ref", models.BigIntegerField(blank=True, null=True)),
                (
                    "started_by_name",
                    models.CharField(blank=True, max_length=150, verbose_name="started by"),
                ),
                ("entries_checked", models.PositiveBigIntegerField(default=0)),
                ("checkpoints_checked", models.PositiveIntegerField(default=0)),
                ("problems", models.JSONField(blank=True, default=list)),
            ],
            options={
                "verbose_name": "access log verification",
                "verbose_name_plural": "access log verifications",
                "ordering": ["-started_at", "-pk"],
            },
        ),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunPython(seal_existing_entries, migrations.RunPython.noop),
    ]
