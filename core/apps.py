from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor as an app: its template tags, the form renderer's templates and the
    system checks of its settings."""

    name = "core"
    label = "core"

    def ready(self) -> None:
        from core import checks  # noqa: F401  (registers them)
