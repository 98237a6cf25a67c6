"""Message search vectors kept by PostgreSQL: a stored generated column instead of a column the
services filled with a second UPDATE after every insert and edit.

A column cannot become a generated one in place, so it is dropped (with its GIN index) and
added again; PostgreSQL computes the vectors of the existing messages while it adds it. The
text-search configuration is the one configured when this migration runs.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0007_unaccent")]

    operations = [
        # Only backwards, where it runs last: fill the plain column again and index it.
        migrations.RunSQL(
            migrations.RunSQL.noop,
            [
                (
                    "UPDATE channels_app_message SET search_vector = "
                    "to_tsvector(%s::regconfig, body) WHERE deleted_at IS NULL",
                    [settings.SEARCH_CONFIG],
                ),
                "CREATE INDEX IF NOT EXISTS message_search_gin "
                "ON channels_app_message USING gin (search_vector)",
            ],
        ),
        migrations.RemoveField(model_name="message", name="search_vector"),
        migrations.AddField(
            model_name="message",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.SearchVector(
                    "body", config=settings.SEARCH_CONFIG
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="message",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="message_search_gin"
            ),
        ),
        # The new column has no statistics until autovacuum gets to it, and the planner needs
        # its word frequencies to choose between walking the newest messages (a frequent word)
        # and the GIN index (a rare one).
        migrations.RunSQL("ANALYZE channels_app_message", migrations.RunSQL.noop),
    ]
