"""The security log (accounts.security_log): every change to someone's password, e-mail
addresses or second factor is recorded, mailed to them, ends their case-room access until they
use their second factor again, and re-checks their open sockets; whichever way it was made."""

from __future__ import annotations

import re
import time
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import SecurityEvent, User
from tests.accounts.test_invitations import totp_now
from tests.factories import SuperuserFactory, UserFactory
from tests.privacy.fixtures import mark_signed_in

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NEW_PASSWORD = "Een-heel-nieuw-wachtwoord-7"


@pytest.fixture
def rights_changed(monkeypatch) -> list[int]:
    """The users whose open sockets were told to check their rights again."""
    calls: list[int] = []
    monkeypatch.setattr("core.protocol.rights_changed", calls.append)
    return calls


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the e-mails) at the end of the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def kinds(user: User) -> list[str]:
    return list(
        SecurityEvent.objects.filter(user=user).order_by("pk").values_list("kind", flat=True)
    )


def sign_in(client: Client, user: User) -> Client:
    client.force_login(user)
    mark_signed_in(client, user)
    return client


def test_creating_an_account_is_not_a_change(user):
    assert kinds(user) == []
    user.refresh_from_db()
    assert user.credentials_changed_at is None


def test_a_password_set_in_code_is_logged_mailed_and_ends_case_room_access(
    user, rights_changed, on_commit
):
    with on_commit():
        user.set_password(NEW_PASSWORD)
        user.save()
    assert kinds(user) == [Kind.PASSWORD_CHANGED]
    event = SecurityEvent.objects.get(user=user)
    assert event.actor is None  # no request: code, a shell, a management command
    assert event.user_name == f"{user.display_name} <{user.email}>"
    user.refresh_from_db()
    assert user.credentials_changed_at == event.occurred_at
    assert rights_changed == [user.pk]
    assert [message.to for message in mail.outbox] == [[user.email]]
    assert "Wachtwoord gewijzigd" in mail.outbox[0].body  # Dutch first
    assert NEW_PASSWORD not in mail.outbox[0].body


def test_a_rehash_of_the_same_password_is_no_change(user, password, settings):
    # A stronger hasher first: checking the password saves a new hash of the same password.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    old_hash = user.password
    assert user.check_password(password)
    user.refresh_from_db()
    assert user.password != old_hash
    assert kinds(user) == []
    assert user.credentials_changed_at is None


def test_the_same_password_set_again_is_no_change(user, password):
    user.set_password(password)
    user.save()
    assert kinds(user) == []


def test_a_hash_written_directly_is_a_change(user):
    user.password = make_password(NEW_PASSWORD)
    user.save(update_fields=["password"])
    assert kinds(user) == [Kind.PASSWORD_CHANGED]


def test_saving_a_stale_copy_does_not_reopen_case_rooms(user):
    stale = User.objects.get(pk=user.pk)
    EmailAddress.objects.create(user=user, email="tweede@wijk.example")
    stale.display_name = "Andere Naam"
    stale.save()  # written with credentials_changed_at as it was when loaded: None
    user.refresh_from_db()
    assert user.credentials_changed_at == SecurityEvent.objects.get(user=user).occurred_at


def test_saving_other_fields_is_no_change(user):
    user.display_name = "Andere Naam"
    user.save()
    user.save(update_fields=["last_login"])
    assert kinds(user) == []


def test_a_password_changed_on_the_account_page_names_the_user_and_the_address(
    client, user, password, rights_changed
):
    sign_in(client, user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        REMOTE_ADDR="192.0.2.7",
    )
    assert response.status_code == HTTPStatus.FOUND
    event = SecurityEvent.objects.get(user=user)
    assert (event.kind, event.actor, event.address) == (Kind.PASSWORD_CHANGED, user, "192.0.2.7")


def test_a_password_reset_through_the_mailed_link_is_logged_as_a_reset(client, user, on_commit):
    client.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    page = client.get(link.group(1), follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link.group(1)
    with on_commit():
        response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    event = SecurityEvent.objects.get(user=user)
    assert (event.kind, event.actor) == (Kind.PASSWORD_RESET, None)
    assert mail.outbox[-1].to == [user.email]
    assert "Wachtwoord opnieuw ingesteld" in mail.outbox[-1].body


def test_a_changed_primary_address_is_mailed_to_the_old_and_the_new_address(user, on_commit):
    old = user.email
    with on_commit():
        user.email = "nieuw-adres@wijk.example"
        user.save()
    event = SecurityEvent.objects.get(user=user)
    assert event.kind == Kind.EMAIL_CHANGED
    assert event.detail == f"{old} → nieuw-adres@wijk.example"
    assert mail.outbox[-1].to == ["nieuw-adres@wijk.example", old]
    user.refresh_from_db()
    assert user.credentials_changed_at is not None


def test_addresses_added_verified_and_removed_are_logged(user, rights_changed, on_commit):
    with on_commit():
        address = EmailAddress.objects.create(user=user, email="tweede@wijk.example")
        address.set_verified()
        address.remove()
    assert kinds(user) == [Kind.EMAIL_ADDED, Kind.EMAIL_VERIFIED, Kind.EMAIL_REMOVED]
    assert rights_changed == [user.pk] * 3
    # every notice goes to the account's own address; the removed one hears of its removal
    assert [message.to for message in mail.outbox] == [
        [user.email],
        [user.email],
        [user.email, "tweede@wijk.example"],
    ]


def test_a_second_factor_added_is_mailed_but_opens_nothing_new(user, on_commit):
    with on_commit():
        TOTP.activate(user, SECRET)
        RecoveryCodes.activate(user)  # they come with it: no event of their own
    assert kinds(user) == [Kind.SECOND_FACTOR_ADDED]
    assert len(mail.outbox) == 1
    user.refresh_from_db()
    # there was no case-room access before it to end
    assert user.credentials_changed_at is None


def _recently_reauthenticated(client: Client, user: User) -> None:
    """allauth's own step-up for account settings (five minutes), as after entering a code."""
    session = client.session
    totp = Authenticator.objects.get(user=user, type="totp")
    session["account_authentication_methods"] = [
        *session["account_authentication_methods"],
        {"method": "mfa", "at": time.time(), "id": totp.pk, "type": "totp",
         "reauthenticated": True},
    ]  # fmt: skip
    session.save()


def test_removing_the_second_factor_in_account_settings_is_logged(client, user, rights_changed):
    TOTP.activate(user, SECRET)
    RecoveryCodes.activate(user)
    sign_in(client, user)
    _recently_reauthenticated(client, user)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == HTTPStatus.FOUND
    assert not Authenticator.objects.filter(user=user).exists()
    assert kinds(user) == [Kind.SECOND_FACTOR_ADDED, Kind.SECOND_FACTOR_REMOVED]
    assert SecurityEvent.objects.get(kind=Kind.SECOND_FACTOR_REMOVED).actor == user
    assert rights_changed == [user.pk]


def test_regenerated_recovery_codes_are_logged(client, user, on_commit):
    TOTP.activate(user, SECRET)
    RecoveryCodes.activate(user)
    sign_in(client, user)
    _recently_reauthenticated(client, user)
    with on_commit():
        response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == HTTPStatus.FOUND
    assert kinds(user)[-1] == Kind.RECOVERY_CODES_REGENERATED
    user.refresh_from_db()
    assert user.credentials_changed_at is not None


def test_a_wrong_code_at_a_step_up_is_logged(client, user):
    TOTP.activate(user, SECRET)
    client.force_login(user)
    mark_signed_in(client, user, second_factor=False)
    response = client.post(reverse("mfa_reauthenticate"), {"code": "000000"})
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors
    event = SecurityEvent.objects.get(user=user, kind=Kind.STEP_UP_REFUSED)
    assert event.actor == user
    response = client.post(reverse("mfa_reauthenticate"), {"code": totp_now(SECRET)})
    assert response.status_code == HTTPStatus.FOUND
    assert SecurityEvent.objects.filter(kind=Kind.STEP_UP_REFUSED).count() == 1


def test_a_wrong_code_at_sign_in_is_logged(client, user, password):
    TOTP.activate(user, SECRET)
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response["Location"] == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    event = SecurityEvent.objects.get(user=user, kind=Kind.SIGN_IN_REFUSED)
    assert event.actor is None  # someone with the password, not (yet) signed in


def test_the_log_is_append_only(user):
    user.set_password(NEW_PASSWORD)
    user.save()
    event = SecurityEvent.objects.get(user=user)
    for statement in (
        "UPDATE accounts_securityevent SET detail = 'nothing happened' WHERE id = %s",
        "DELETE FROM accounts_securityevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    assert SecurityEvent.objects.filter(pk=event.pk, detail="").exists()


def test_deleting_an_account_keeps_its_log_and_logs_nothing_more(user):
    TOTP.activate(user, SECRET)
    name = f"{user.display_name} <{user.email}>"
    user.delete()
    event = SecurityEvent.objects.get(user_name=name)
    assert (event.kind, event.user) == (Kind.SECOND_FACTOR_ADDED, None)


def test_the_log_is_read_only_in_the_admin(user):
    user.set_password(NEW_PASSWORD)
    user.save()
    event = SecurityEvent.objects.get(user=user)
    admin = Client()
    admin.force_login(SuperuserFactory())
    page = admin.get("/admin/accounts/securityevent/")
    assert page.status_code == HTTPStatus.OK
    assert user.display_name in page.content.decode()
    assert admin.get("/admin/accounts/securityevent/add/").status_code == HTTPStatus.FORBIDDEN
    response = admin.post(
        f"/admin/accounts/securityevent/{event.pk}/change/", {"detail": "niets gebeurd"}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    response = admin.post(f"/admin/accounts/securityevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert SecurityEvent.objects.filter(pk=event.pk, detail="").exists()


def test_an_admin_reset_link_is_logged_with_the_administrator(user):
    admin = SuperuserFactory(display_name="Sara Superuser")
    client = Client()
    client.force_login(admin)
    client.post(
        "/admin/accounts/user/", {"action": "send_password_reset", "_selected_action": [user.pk]}
    )
    event = SecurityEvent.objects.get(user=user)
    assert (event.kind, event.actor, event.actor_name) == (
        Kind.RESET_LINK_SENT,
        admin,
        f"Sara Superuser <{admin.email}>",
    )


def test_other_accounts_are_untouched(user):
    other = UserFactory()
    user.set_password(NEW_PASSWORD)
    user.save()
    assert kinds(other) == []
