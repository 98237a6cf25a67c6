"""System checks of the ground floor's settings (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

#: host names that only reach the machine itself: SITE_URL left at its default, or copied from
#: a local run
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})  # noqa: S104


@register(Tags.security, deploy=True)
def check_site_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Links in e-mails and calendar files must reach the platform, over HTTPS."""
    url = urlsplit(settings.SITE_URL)
    hint = "Set SITE_URL to the address people reach the platform at, e.g. https://wijk.example.nl."
    if url.hostname in LOCAL_HOSTS:
        return [
            Warning(
                f"SITE_URL is not set (it is {settings.SITE_URL}): links in e-mails and "
                "calendar files point to this machine.",
                hint=hint,
                id="core.W001",
            )
        ]
    if url.scheme != "https":
        return [
            Warning(
                f"SITE_URL is not an https address ({settings.SITE_URL}): links in e-mails "
                "and calendar files would open the platform over plain HTTP.",
                hint=hint,
                id="core.W002",
            )
        ]
    return []
