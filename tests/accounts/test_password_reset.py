from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_resets_a_forgotten_password(client, user):
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == HTTPStatus.FOUND
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    assert link
    page = client.get(link.group(1), follow=True)
    assert page.status_code == HTTPStatus.OK
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link.group(1)
    response = client.post(
        form_url, {"password1": "Nieuw-wachtwoord-2026", "password2": "Nieuw-wachtwoord-2026"}
    )
    assert response.status_code == HTTPStatus.FOUND
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "Nieuw-wachtwoord-2026"}
    )
    assert response["Location"] == reverse("home")


def test_an_unknown_address_gets_no_hint(client):
    response = client.post(reverse("account_reset_password"), {"email": "niemand@wijk.example"})
    assert response.status_code == HTTPStatus.FOUND
    # allauth mails an "unknown account" notice rather than revealing anything on the page
    assert all("password/reset/key" not in m.body for m in mail.outbox)
