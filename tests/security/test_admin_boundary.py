"""The platform administrator's boundary in the Django admin (DESIGN.md, "Revocation and
administrators"): no view of second-factor secrets, no way to set another user's password. What
remains is deactivating an account and mailing a reset link to the person's own address."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail

from accounts.mfa import decrypt_secret
from tests.factories import SuperuserFactory
from tests.privacy.fixtures import strong_client, with_mfa

pytestmark = pytest.mark.django_db

SECRET = "WIJKPLATFORMADMINBOUNDARYTESTKEY"


@pytest.fixture
def superuser_client():
    return strong_client(with_mfa(SuperuserFactory(display_name="Sara Superuser")))


@pytest.fixture
def member(user):
    TOTP.activate(user, SECRET)
    RecoveryCodes.activate(user)
    return user


def _authenticator(user, kind: str) -> Authenticator:
    return Authenticator.objects.get(user=user, type=kind)


def test_it_shows_no_totp_secret_to_a_superuser(superuser_client, member):
    totp = _authenticator(member, Authenticator.Type.TOTP)
    page = superuser_client.get(f"/admin/mfa/authenticator/{totp.pk}/change/")
    assert page.status_code == HTTPStatus.OK
    body = page.content.decode()
    assert member.display_name in body  # the page is about this authenticator
    assert SECRET not in body
    assert totp.data["secret"] not in body  # nor the ciphertext
    assert "gAAAAA" not in body
    assert 'name="data"' not in body


def test_it_shows_no_recovery_seed_or_codes_to_a_superuser(superuser_client, member):
    recovery = _authenticator(member, Authenticator.Type.RECOVERY_CODES)
    page = superuser_client.get(f"/admin/mfa/authenticator/{recovery.pk}/change/")
    assert page.status_code == HTTPStatus.OK
    body = page.content.decode()
    assert decrypt_secret(recovery.data["seed"]) not in body
    assert recovery.data["seed"] not in body
    assert not any(code in body for code in RecoveryCodes(recovery).generate_codes())


def test_the_authenticator_list_shows_no_secrets(superuser_client, member):
    page = superuser_client.get("/admin/mfa/authenticator/")
    assert page.status_code == HTTPStatus.OK
    assert SECRET not in page.content.decode()
    assert "gAAAAA" not in page.content.decode()


def test_a_superuser_cannot_change_add_or_delete_a_second_factor(superuser_client, member):
    totp = _authenticator(member, Authenticator.Type.TOTP)
    before = totp.data
    response = superuser_client.post(
        f"/admin/mfa/authenticator/{totp.pk}/change/",
        {"user": member.pk, "type": "totp", "data": '{"secret": "AAAAAAAAAAAAAAAA"}'},
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    totp.refresh_from_db()
    assert totp.data == before
    assert superuser_client.get("/admin/mfa/authenticator/add/").status_code == 403
    delete = superuser_client.post(f"/admin/mfa/authenticator/{totp.pk}/delete/", {"post": "yes"})
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert Authenticator.objects.filter(pk=totp.pk).exists()


def test_the_user_page_has_no_password_form(superuser_client, user):
    page = superuser_client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == HTTPStatus.OK
    body = page.content.decode()
    assert user.display_name in body
    assert "password/" not in body
    assert user.password not in body  # not even the hash
    assert 'name="password' not in body


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_superuser_cannot_set_another_users_password(superuser_client, user, password, method):
    response = getattr(superuser_client, method)(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": "Overgenomen-door-beheer-1", "password2": "Overgenomen-door-beheer-1"},
    )
    assert response.status_code in {HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND}
    user.refresh_from_db()
    assert user.check_password(password)


def test_a_superuser_cannot_add_a_user_with_a_password(superuser_client):
    response = superuser_client.get("/admin/accounts/user/add/")
    assert response.status_code == HTTPStatus.FORBIDDEN  # accounts come from invitations


def _change_form(user, **changes) -> dict:
    data = {
        "display_name": user.display_name,
        "is_active": "on",
        "groups": [],
        "user_permissions": [],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_superuser_can_deactivate_but_not_readdress_a_user(superuser_client, user):
    response = superuser_client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        _change_form(user, is_active=None, email="beheerder@elders.example"),
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    user.refresh_from_db()
    assert not user.is_active
    # the reset address stays the person's own
    assert user.email != "beheerder@elders.example"


def test_a_superuser_can_send_a_reset_link_to_the_users_own_address(superuser_client, user):
    other = SuperuserFactory()  # selected but not the target of the assertion below
    response = superuser_client.post(
        "/admin/accounts/user/",
        {"action": "send_password_reset", "_selected_action": [user.pk]},
        follow=True,
    )
    assert response.status_code == HTTPStatus.OK
    assert [message.to for message in mail.outbox] == [[user.email]]
    link = re.search(r"/accounts/password/reset/key/\S+/", mail.outbox[0].body)
    assert link
    assert link.group(0) not in response.content.decode()  # the administrator never sees it
    assert other.email not in mail.outbox[0].to
