"""PostgreSQL's unaccent, so that the message search finds an author's name without its accents
("Anais" finds Anaïs)."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0006_message_search_order")]

    operations = [UnaccentExtension()]
