from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Case rooms")

    def ready(self) -> None:
        from privacy import coverage

        coverage.connect()
