"""Search support: pg_trgm, a GIN index on the profile search vector and trigram indexes on
names. (Migration 0005 records the profile's index in Django's state.)"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS professional_search_gin "
    "ON directory_professional USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS user_display_name_trgm "
    "ON accounts_user USING gin (display_name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS organisation_name_trgm "
    "ON directory_organisation USING gin (name gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS organisation_name_trgm",
    "DROP INDEX IF EXISTS user_display_name_trgm",
    "DROP INDEX IF EXISTS professional_search_gin",
]


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_profiles_and_search"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
