"""The seeded themes, and a GIN index for article search (known to the model state from
migration 0004)."""

from django.db import migrations

THEMES = [
    ("Positieve Gezondheid", "positieve-gezondheid"),
    ("Schulden en armoede", "schulden-en-armoede"),
    ("GGZ", "ggz"),
    ("Jeugd en gezin", "jeugd-en-gezin"),
    ("Ouderen en eenzaamheid", "ouderen-en-eenzaamheid"),
    ("Leefstijl", "leefstijl"),
    ("Samenwerken en privacy", "samenwerken-en-privacy"),
]


def add_themes(apps, schema_editor):
    Theme = apps.get_model("knowledge", "Theme")
    for position, (name, slug) in enumerate(THEMES):
        Theme.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})


def remove_themes(apps, schema_editor):
    apps.get_model("knowledge", "Theme").objects.filter(
        slug__in=[slug for _name, slug in THEMES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        migrations.RunPython(add_themes, remove_themes),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS article_search_gin "
            "ON knowledge_article USING gin (search_vector)",
            "DROP INDEX IF EXISTS article_search_gin",
        ),
    ]
