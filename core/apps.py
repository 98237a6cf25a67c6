from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor as an app: its template tags and the form renderer's templates."""

    name = "core"
    label = "core"
