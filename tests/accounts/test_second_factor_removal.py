"""Removing someone's lost second factor: an administrator asks, and only the person (through a
link mailed to their own address, with their password) or a second, different administrator
can make it happen. Every step is in the security log."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.test import Client

from accounts.models import SecondFactorRemoval, SecurityEvent, User
from tests.factories import SuperuserFactory

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
LINK = re.compile(r"https?://[^/\s]+(/accounts/second-factor/remove/[^/\s]+/)")


@pytest.fixture
def member(user) -> User:
    TOTP.activate(user, SECRET)
    RecoveryCodes.activate(user)
    return user


@pytest.fixture
def administrator() -> User:
    return SuperuserFactory(display_name="Sara Superuser")


@pytest.fixture
def second_administrator() -> User:
    return SuperuserFactory(display_name="Tom Tweede")


def admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def request_removal(client: Client, member: User, capture) -> str:
    """Run the user-list action; return the path of the link mailed to the member."""
    with capture(execute=True):
        response = client.post(
            "/admin/accounts/user/",
            {"action": "request_second_factor_removal", "_selected_action": [member.pk]},
            follow=True,
        )
    assert response.status_code == HTTPStatus.OK
    assert [message.to for message in mail.outbox] == [[member.email]]
    link = LINK.search(mail.outbox[0].body)
    assert link
    assert link.group(1) not in response.content.decode()  # the administrator never sees it
    return link.group(1)


def second_factors(user: User) -> set[str]:
    return set(Authenticator.objects.filter(user=user).values_list("type", flat=True))


def kinds(user: User) -> list[str]:
    events = SecurityEvent.objects.filter(user=user).exclude(kind=Kind.SECOND_FACTOR_ADDED)
    return list(events.order_by("pk").values_list("kind", flat=True))


def test_a_request_removes_nothing_and_mails_the_member(
    member, administrator, django_capture_on_commit_callbacks
):
    request_removal(admin_client(administrator), member, django_capture_on_commit_callbacks)
    assert second_factors(member) == {"totp", "recovery_codes"}
    removal = SecondFactorRemoval.objects.get(user=member)
    assert (removal.status, removal.requested_by) == ("pending", administrator)
    event = SecurityEvent.objects.get(user=member, kind=Kind.REMOVAL_REQUESTED)
    assert event.actor == administrator
    assert "Sara Superuser" in mail.outbox[0].body


def test_the_member_confirms_with_the_link_and_their_password(
    member, administrator, password, django_capture_on_commit_callbacks
):
    link = request_removal(admin_client(administrator), member, django_capture_on_commit_callbacks)
    browser = Client()  # not signed in: the phone is lost, signing in cannot be finished
    page = browser.get(link)
    assert page.status_code == HTTPStatus.OK
    assert member.email in page.content.decode()
    assert second_factors(member) == {"totp", "recovery_codes"}  # opening the link is not enough

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(link, {"password": password})
    assert response.status_code == HTTPStatus.OK
    assert second_factors(member) == set()
    assert kinds(member) == [
        Kind.REMOVAL_REQUESTED,
        Kind.REMOVAL_CONFIRMED,
        Kind.SECOND_FACTOR_REMOVED,
    ]
    assert SecondFactorRemoval.objects.get(user=member).status == "confirmed"
    assert [message.to for message in mail.outbox] == [[member.email]]  # "removed"
    member.refresh_from_db()
    assert member.credentials_changed_at is not None
    assert "_auth_user_id" not in browser.session  # nobody was signed in

    # the link works once
    assert browser.get(link).status_code == HTTPStatus.GONE


def test_a_wrong_password_removes_nothing_and_is_logged(
    member, administrator, django_capture_on_commit_callbacks
):
    link = request_removal(admin_client(administrator), member, django_capture_on_commit_callbacks)
    response = Client().post(link, {"password": "Geraden-wachtwoord-1"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert second_factors(member) == {"totp", "recovery_codes"}
    assert kinds(member) == [Kind.REMOVAL_REQUESTED, Kind.REMOVAL_REFUSED]


def test_guessing_the_password_is_rate_limited(
    member, administrator, password, django_capture_on_commit_callbacks
):
    link = request_removal(admin_client(administrator), member, django_capture_on_commit_callbacks)
    browser = Client()
    statuses = [
        browser.post(link, {"password": f"Geraden-{attempt}"}).status_code for attempt in range(6)
    ]
    assert statuses[-1] == HTTPStatus.TOO_MANY_REQUESTS
    assert browser.post(link, {"password": password}).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert second_factors(member) == {"totp", "recovery_codes"}


@pytest.mark.parametrize("change", ["expired", "tampered", "other_user"])
def test_a_bad_or_expired_link_is_refused(
    member, administrator, password, change, django_capture_on_commit_callbacks
):
    link = request_removal(admin_client(administrator), member, django_capture_on_commit_callbacks)
    if change == "expired":
        SecondFactorRemoval.objects.filter(user=member).update(
            requested_at=F("requested_at") - timedelta(hours=25)
        )
    elif change == "tampered":
        link = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
    else:
        token = link.rstrip("/").rsplit("/", 1)[1]
        value, rest = token.split(":", 1)
        removal_id, _user_id = value.split(".")
        link = link.replace(token, f"{removal_id}.{administrator.pk}:{rest}")
    response = Client().post(link, {"password": password})
    assert response.status_code == HTTPStatus.GONE
    assert second_factors(member) == {"totp", "recovery_codes"}


def test_the_requesting_administrator_cannot_approve_alone(
    member, administrator, django_capture_on_commit_callbacks
):
    client = admin_client(administrator)
    request_removal(client, member, django_capture_on_commit_callbacks)
    removal = SecondFactorRemoval.objects.get(user=member)
    response = client.post(
        "/admin/accounts/secondfactorremoval/",
        {"action": "approve", "_selected_action": [removal.pk]},
        follow=True,
    )
    assert response.status_code == HTTPStatus.OK
    assert "tweede beheerder moet" in response.content.decode()  # Dutch first
    assert second_factors(member) == {"totp", "recovery_codes"}
    assert kinds(member) == [Kind.REMOVAL_REQUESTED, Kind.REMOVAL_REFUSED]
    # and the database refuses it too, whatever code tries
    removal.approved_by = administrator
    with pytest.raises(IntegrityError), transaction.atomic():
        removal.save()


def test_a_second_administrator_approves(
    member, administrator, second_administrator, django_capture_on_commit_callbacks
):
    request_removal(admin_client(administrator), member, django_capture_on_commit_callbacks)
    removal = SecondFactorRemoval.objects.get(user=member)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client(second_administrator).post(
            "/admin/accounts/secondfactorremoval/",
            {"action": "approve", "_selected_action": [removal.pk]},
        )
    assert response.status_code == HTTPStatus.FOUND
    assert second_factors(member) == set()
    removal.refresh_from_db()
    assert (removal.status, removal.approved_by) == ("approved", second_administrator)
    approved = SecurityEvent.objects.get(user=member, kind=Kind.REMOVAL_APPROVED)
    assert approved.actor == second_administrator
    assert "Sara Superuser" in approved.detail
    removed = SecurityEvent.objects.get(user=member, kind=Kind.SECOND_FACTOR_REMOVED)
    assert removed.actor == second_administrator
    assert [message.to for message in mail.outbox] == [[member.email]]


def test_the_member_cannot_approve_their_own_removal(
    administrator, second_administrator, django_capture_on_commit_callbacks
):
    TOTP.activate(second_administrator, SECRET)
    request_removal(
        admin_client(administrator), second_administrator, django_capture_on_commit_callbacks
    )
    removal = SecondFactorRemoval.objects.get(user=second_administrator)
    admin_client(second_administrator).post(
        "/admin/accounts/secondfactorremoval/",
        {"action": "approve", "_selected_action": [removal.pk]},
    )
    assert second_factors(second_administrator) == {"totp"}


def test_only_one_open_request_per_member(
    member, administrator, django_capture_on_commit_callbacks
):
    client = admin_client(administrator)
    request_removal(client, member, django_capture_on_commit_callbacks)
    client.post(
        "/admin/accounts/user/",
        {"action": "request_second_factor_removal", "_selected_action": [member.pk]},
    )
    assert SecondFactorRemoval.objects.filter(user=member).count() == 1


def test_requests_cannot_be_made_or_changed_in_the_admin(member, administrator):
    client = admin_client(administrator)
    assert client.get("/admin/accounts/secondfactorremoval/add/").status_code == 403
    removal = SecondFactorRemoval.objects.create(user=member, requested_by=administrator)
    response = client.post(
        f"/admin/accounts/secondfactorremoval/{removal.pk}/change/",
        {"status": "approved", "approved_by": administrator.pk},
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    removal.refresh_from_db()
    assert removal.status == "pending"
