from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from core.links import absolute_url


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts exist only through invitations (accounts.services.accept_invitation).
        return False

    # allauth's e-mails link to SITE_URL, as every other e-mail of the platform does, not to the
    # host a request names: one way to build a link, and none that a forged Host header sets.
    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return absolute_url(path.replace("UID-KEY", quote(key)))

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        return absolute_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Their greeting and signature name the site: the platform's name and address.
        site = SimpleNamespace(name=settings.SITE_NAME, domain=settings.SITE_URL)
        super().send_mail(template_prefix, email, {"current_site": site, **context})
