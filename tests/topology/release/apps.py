from django.apps import AppConfig


class ReleaseConfig(AppConfig):
    name = "tests.topology.release"
    label = "release"
    default_auto_field = "django.db.models.BigAutoField"
