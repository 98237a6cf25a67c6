"""A GIN index for message search (migration 0008 makes it again with the generated column)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS message_search_gin "
            "ON channels_app_message USING gin (search_vector)",
            "DROP INDEX IF EXISTS message_search_gin",
        )
    ]
