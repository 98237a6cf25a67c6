"""PostgreSQL's unaccent, so that the message search finds an author's name without its accents
("Anais" finds Anaïs). On SQLite (the embedded default) the search matches names as typed."""

from django.db import migrations


def run(statement):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0006_message_search_order")]

    operations = [
        migrations.RunPython(
            run("CREATE EXTENSION IF NOT EXISTS unaccent"),
            run("DROP EXTENSION IF EXISTS unaccent"),
        )
    ]
