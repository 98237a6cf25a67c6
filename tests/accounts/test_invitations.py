from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/accounts/invitation/[^/\s]+/)")


def totp_now(secret: str) -> str:
    """The authenticator's code now; near the end of its period, the next period's code (one
    computed a moment before the period ends reaches the server after it, where it is wrong)."""
    import time

    from allauth.mfa import app_settings

    left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if left < 2:
        time.sleep(left)
    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


def invite(client, admin_user, email="nieuw@wijk.example", name="Nina Nieuw") -> str:
    client.force_login(admin_user)
    # the e-mail leaves only after the transaction commits
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("accounts:invitation_list"), {"email": email, "display_name": name}
        )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()
    client.logout()
    match = LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def accept(client, link, password="Vrij-sterk-wachtwoord-42", name="Nina Nieuw"):
    return client.post(link, {"display_name": name, "password1": password, "password2": password})


def test_it_runs_the_whole_invitation_flow(client, admin_user):
    link = invite(client, admin_user)
    message = mail.outbox[-1]
    assert message.to == ["nieuw@wijk.example"]
    assert "Nina Nieuw" in message.body

    page = client.get(link)
    assert page.status_code == HTTPStatus.OK
    assert b"nieuw@wijk.example" in page.content

    response = accept(client, link)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("account_login")
    user = User.objects.get(email="nieuw@wijk.example")
    assert user.has_role("professional")
    assert user.emailaddress_set.get().verified

    # log in with the password just chosen
    response = client.post(
        reverse("account_login"),
        {"login": "nieuw@wijk.example", "password": "Vrij-sterk-wachtwoord-42"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("home")

    # enrol TOTP: allauth first asks for the password again, then shows the QR code
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == HTTPStatus.FOUND
    assert page["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(page["Location"], {"password": "Vrij-sterk-wachtwoord-42"})
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == HTTPStatus.OK
    assert b"data:image/svg+xml;base64," in page.content
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_now(secret)})
    assert response.status_code == HTTPStatus.FOUND
    kinds = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    assert kinds == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}

    # sign out and in again: the password alone is no longer enough
    client.post(reverse("account_logout"))
    response = client.post(
        reverse("account_login"),
        {"login": "nieuw@wijk.example", "password": "Vrij-sterk-wachtwoord-42"},
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("home")).status_code == HTTPStatus.FOUND  # still anonymous
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == HTTPStatus.OK
    assert wrong.context["form"].errors
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(reverse("home")).status_code == HTTPStatus.OK


def test_it_refuses_a_reused_invitation(client, admin_user):
    link = invite(client, admin_user)
    accept(client, link)
    client.logout()
    response = client.get(link)
    assert response.status_code == HTTPStatus.GONE
    assert "al gebruikt" in response.content.decode()
    response = accept(client, link, password="Ander-wachtwoord-77")
    assert response.status_code == HTTPStatus.GONE
    assert User.objects.filter(email="nieuw@wijk.example").count() == 1


def test_it_refuses_an_expired_invitation(client, admin_user):
    link = invite(client, admin_user)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(link)
    assert response.status_code == HTTPStatus.GONE
    assert "verlopen" in response.content.decode()
    response = accept(client, link)
    assert response.status_code == HTTPStatus.GONE
    assert not User.objects.filter(email="nieuw@wijk.example").exists()


def test_it_refuses_an_unknown_or_revoked_link(client, admin_user):
    assert client.get("/accounts/invitation/not-a-real-token/").status_code == HTTPStatus.GONE
    link = invite(client, admin_user)
    client.force_login(admin_user)
    invitation = Invitation.objects.get()
    client.post(reverse("accounts:invitation_revoke", args=[invitation.pk]))
    client.logout()
    response = client.get(link)
    assert response.status_code == HTTPStatus.GONE
    assert "niet geldig" in response.content.decode()


def test_a_new_invitation_replaces_the_old_link(client, admin_user):
    first = invite(client, admin_user)
    second = invite(client, admin_user)
    assert client.get(first).status_code == HTTPStatus.GONE
    assert client.get(second).status_code == HTTPStatus.OK


def test_it_shows_field_errors_and_creates_nothing(client, admin_user):
    link = invite(client, admin_user)
    response = client.post(link, {"display_name": "", "password1": "kort", "password2": "anders"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    form = response.context["form"]
    assert set(form.errors) == {"display_name", "password2"}
    response = client.post(
        link, {"display_name": "Nina", "password1": "12345678901", "password2": "12345678901"}
    )
    assert "password1" in response.context["form"].errors
    assert b'aria-invalid="true"' in response.content
    assert not User.objects.filter(email="nieuw@wijk.example").exists()


def test_it_refuses_to_invite_an_existing_user(client, admin_user):
    existing = UserFactory()
    client.force_login(admin_user)
    response = client.post(
        reverse("accounts:invitation_list"),
        {"email": existing.email.upper(), "display_name": "Dubbel"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "email" in response.context["form"].errors
    assert not mail.outbox


def test_an_address_longer_than_the_account_can_hold_is_a_field_error(client, admin_user):
    """An address is valid up to 320 characters, but an account holds 254."""
    email = f"{'a' * 60}.{'b' * 60}@{'c' * 60}.{'d' * 60}.{'e' * 60}.example"
    assert len(email) > 254
    client.force_login(admin_user)
    response = client.post(
        reverse("accounts:invitation_list"), {"email": email, "display_name": "Lang Adres"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "email" in response.context["form"].errors
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_only_platform_admins_see_invitations(client, user):
    client.force_login(user)
    assert client.get(reverse("accounts:invitation_list")).status_code == HTTPStatus.NOT_FOUND
    response = client.post(
        reverse("accounts:invitation_list"), {"email": "x@wijk.example", "display_name": "X"}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Invitation.objects.exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("accounts:invitation_list"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


def test_open_signup_is_closed(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "zelf@wijk.example",
            "password1": "Sterk-genoeg-123",
            "password2": "Sterk-genoeg-123",
        },
    )
    assert not User.objects.filter(email="zelf@wijk.example").exists()
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FORBIDDEN)


def test_login_is_rate_limited(client, user, password):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    # after five failures even the right password is refused for a while
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == HTTPStatus.OK
    assert "Te veel inlogpogingen" in response.content.decode()
    assert client.get(reverse("home")).status_code == HTTPStatus.FOUND
