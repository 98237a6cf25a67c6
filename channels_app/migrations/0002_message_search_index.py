"""A GIN index for message search on PostgreSQL; SQLite searches by substring instead."""

from django.db import migrations


def run(statement):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0001_initial")]

    operations = [
        migrations.RunPython(
            run(
                "CREATE INDEX IF NOT EXISTS message_search_gin "
                "ON channels_app_message USING gin (search_vector)"
            ),
            run("DROP INDEX IF EXISTS message_search_gin"),
        )
    ]
