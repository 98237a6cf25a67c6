from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("privacy", "0003_access_log_keyed_chain")]

    operations = [
        migrations.AddField(
            model_name="casemember",
            name="suspended_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="suspended"),
        ),
    ]
