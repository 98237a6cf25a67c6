"""The search row's columns and indexes become model fields and ``Meta.indexes``.

Migrations 0003 and 0004 created them with SQL on every database (PostgreSQL is the only one), so
this records them in Django's state without touching the database; only ``search_text``, the
plain text the SQLite fallback searched, is dropped for real.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models


def _array(base_field):
    return django.contrib.postgres.fields.ArrayField(
        base_field=base_field, default=list, editable=False, size=None
    )


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0004_search_facets"),
    ]

    operations = [
        migrations.RemoveField(model_name="professional", name="search_text"),
        migrations.SeparateDatabaseAndState(
            # the columns and indexes exist already (migration 0003 and 0004)
            database_operations=[],
            state_operations=[
                migrations.AddField(
                    model_name="professional",
                    name="search_name",
                    field=models.CharField(default="", editable=False, max_length=150),
                ),
                migrations.AddField(
                    model_name="professional",
                    name="discipline_ids",
                    field=_array(models.BigIntegerField()),
                ),
                migrations.AddField(
                    model_name="professional", name="domains", field=_array(models.TextField())
                ),
                migrations.AddField(
                    model_name="professional",
                    name="neighbourhood_ids",
                    field=_array(models.BigIntegerField()),
                ),
                migrations.AddField(
                    model_name="professional",
                    name="organisation_ids",
                    field=_array(models.BigIntegerField()),
                ),
                migrations.AddField(
                    model_name="professional",
                    name="expertise_ids",
                    field=_array(models.BigIntegerField()),
                ),
                migrations.AddField(
                    model_name="professional",
                    name="language_ids",
                    field=_array(models.BigIntegerField()),
                ),
                migrations.AddField(
                    model_name="professional",
                    name="facet_keys",
                    field=models.TextField(default="", editable=False),
                ),
                migrations.AddIndex(
                    model_name="professional",
                    index=django.contrib.postgres.indexes.GinIndex(
                        fields=["search_vector"], name="professional_search_gin"
                    ),
                ),
                migrations.AddIndex(
                    model_name="professional",
                    index=django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.indexes.OpClass("search_name", name="gin_trgm_ops"),
                        name="professional_name_trgm",
                    ),
                ),
                migrations.AddIndex(
                    model_name="professional",
                    index=django.contrib.postgres.indexes.GinIndex(
                        fields=[
                            "discipline_ids",
                            "domains",
                            "neighbourhood_ids",
                            "organisation_ids",
                            "expertise_ids",
                            "language_ids",
                        ],
                        name="professional_facets_gin",
                    ),
                ),
                migrations.AddIndex(
                    model_name="professional",
                    index=models.Index(
                        condition=models.Q(("verified", True)),
                        fields=["search_name", "id"],
                        name="professional_listed_name",
                    ),
                ),
            ],
        ),
    ]
