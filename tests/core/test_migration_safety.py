"""manage.py checkmigrations: migrations a rolling upgrade cannot take are named, safe ones not."""

from __future__ import annotations

import pytest
from django.contrib.postgres.operations import AddIndexConcurrently
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader

from core.migration_safety import ACCEPTED, problems


@pytest.fixture(scope="module")
def loader() -> MigrationLoader:
    return MigrationLoader(None, ignore_no_migrations=True)


def check(loader, *operations) -> list[str]:
    """The problems of a new channels_app migration with ``operations``, on today's models."""
    migration = migrations.Migration("0099_new", "channels_app")
    migration.operations = list(operations)
    return problems(migration, loader.project_state())


SAFE = {
    "a nullable column": migrations.AddField(
        "message", "mood", models.CharField(max_length=20, null=True)
    ),
    "a column with a database default": migrations.AddField(
        "message", "mood", models.CharField(max_length=20, db_default="")
    ),
    "a nullable foreign key, its constraint and index added later": migrations.AddField(
        "message",
        "quoted",
        models.ForeignKey(
            "channels_app.message",
            models.SET_NULL,
            null=True,
            db_constraint=False,
            db_index=False,
            related_name="+",
        ),
    ),
    "an index built concurrently": AddIndexConcurrently(
        "message", models.Index(fields=["edited_at"], name="message_edited")
    ),
    "a new table with a foreign key to a busy one, and its indexes": [
        migrations.CreateModel(
            "Reaction",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("message", models.ForeignKey("channels_app.message", models.CASCADE)),
                ("emoji", models.CharField(max_length=16, unique=True)),
            ],
        ),
        migrations.AddIndex("reaction", models.Index(fields=["emoji"], name="reaction_emoji")),
        migrations.AddField("reaction", "note", models.TextField()),
    ],
    "a longer text column": migrations.AlterField(
        "channel", "name", models.CharField(max_length=200, verbose_name="name")
    ),
    "a changed help text": migrations.AlterField(
        "message", "edited_at", models.DateTimeField(null=True, blank=True, help_text="When")
    ),
}

LOCKING = {
    "a NOT NULL column without a database default": (
        migrations.AddField("message", "mood", models.CharField(max_length=20, default="")),
        "NOT NULL without db_default",
    ),
    "an index built the ordinary way": (
        migrations.AddIndex("message", models.Index(fields=["edited_at"], name="message_edited")),
        "CREATE INDEX blocks writes",
    ),
    "an indexed column": (
        migrations.AddField(
            "message", "mood", models.CharField(max_length=20, null=True, db_index=True)
        ),
        "AddIndexConcurrently",
    ),
    "a unique column": (
        migrations.AddField("message", "token", models.UUIDField(null=True, unique=True)),
        "unique index",
    ),
    "a foreign key checked against every row": (
        migrations.AddField(
            "message",
            "quoted",
            models.ForeignKey("channels_app.message", models.SET_NULL, null=True, related_name="+"),
        ),
        "foreign key is checked",
    ),
    "a column's type changed": (
        migrations.AlterField("message", "reply_count", models.BigIntegerField(default=0)),
        "changes path of an existing column",
    ),
    "a column made NOT NULL": (
        migrations.AlterField("message", "edited_at", models.DateTimeField(blank=True)),
        "changes null",
    ),
    "a constraint checked against every row": (
        migrations.AddConstraint(
            "message",
            models.CheckConstraint(condition=models.Q(reply_count__gte=0), name="replies"),
        ),
        "AddConstraintNotValid",
    ),
    "a column removed": (
        migrations.RemoveField("message", "pinned_at"),
        "the previous release still reads it",
    ),
    "a column renamed": (
        migrations.RenameField("message", "pinned_at", "pinned_on"),
        "still uses the old name",
    ),
    "raw SQL": (
        migrations.RunSQL("UPDATE channels_app_message SET reply_count = 0"),
        "cannot read it",
    ),
}


@pytest.mark.parametrize("name", list(SAFE))
def test_a_migration_safe_for_a_rolling_upgrade_passes(loader, name):
    operations = SAFE[name] if isinstance(SAFE[name], list) else [SAFE[name]]
    assert check(loader, *operations) == []


@pytest.mark.parametrize("name", list(LOCKING))
def test_a_migration_that_locks_or_breaks_the_previous_release_is_named(loader, name):
    operation, reason = LOCKING[name]
    (problem,) = check(loader, operation)
    assert problem.startswith(operation.describe() + ": ")
    assert reason in problem


def test_the_check_passes_on_the_platform_with_every_existing_migration_accepted(capsys):
    call_command("checkmigrations")
    assert "safe for a rolling upgrade" in capsys.readouterr().out


def test_a_migration_not_accepted_is_checked_and_fails_the_command(tmp_path, capsys):
    listed = [line for line in ACCEPTED.read_text().splitlines()
              if "channels_app.0014_notification_link" not in line]  # fmt: skip
    shorter = tmp_path / "accepted.txt"
    shorter.write_text("\n".join(listed) + "\n")
    with pytest.raises(CommandError, match=r"2 operation\(s\) not safe"):
        call_command("checkmigrations", accepted=str(shorter))
    errors = capsys.readouterr().err
    # the notification link: NOT NULL without a default, and a check constraint
    assert "channels_app.0014_notification_link: Add field link to notification" in errors
    assert "channels_app.0014_notification_link: Create constraint" in errors


def test_a_stale_entry_in_the_accepted_list_fails_the_command(tmp_path):
    longer = tmp_path / "accepted.txt"
    longer.write_text(ACCEPTED.read_text() + "channels_app.0999_gone  # reviewed\n")
    with pytest.raises(CommandError, match=r"channels_app\.0999_gone"):
        call_command("checkmigrations", accepted=str(longer))
