from django.db import migrations


def remove(apps, schema_editor):
    # django-guardian created this placeholder before ANONYMOUS_USER_NAME was switched off.
    apps.get_model("accounts", "User").objects.filter(email="AnonymousUser").delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]

    operations = [migrations.RunPython(remove, migrations.RunPython.noop)]
