"""The takeover, played by a platform administrator (superuser, staff, with their own second
factor) who wants to read a case room of which they are not a member.

Each way into the member's account through the admin is refused, or is detected: a line in the
security log and an e-mail to the member. And even with a password reset done, the case room
stays closed to every session that has not used the member's own second factor: the answer is
a redirect to the second-factor step-up, never the content.
"""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import SecondFactorRemoval, SecurityEvent, User
from privacy import services as case_services
from tests.factories import SuperuserFactory
from tests.privacy.fixtures import TOTP_SECRET, CaseRoomWorld, mark_signed_in, with_mfa

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind
MEMBERS_PASSWORD = "Correct-horse-battery-9"  # UserFactory's
TAKEN_OVER = "Overgenomen-door-de-beheerder-1"
ADMINS_ADDRESS = "sara.superuser@beheer.example"
RESET_LINK = re.compile(r"https?://[^/\s]+(/accounts/password/reset/key/(\w+)-\S+/)")
CONTENT = "Schuldhulp loopt, afspraak bij de huisarts volgende week"


@pytest.fixture
def scene(world: CaseRoomWorld):
    case_services.post_message(world.room.pk, author=world.coordinator, body=CONTENT)
    RecoveryCodes.activate(world.member)
    administrator = with_mfa(
        SuperuserFactory(display_name="Sara Superuser", email=ADMINS_ADDRESS),
        "KRUGKIDROVUWG2ZAMJZG653OEBTG66BA",
    )
    admin = Client()
    admin.force_login(administrator)
    mark_signed_in(admin, administrator)  # the administrator's own second factor is fine
    mail.outbox.clear()
    return world, administrator, admin


def events(user: User, *kinds: str) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(user=user, kind__in=kinds).order_by("pk"))


def mailed_to(user: User) -> list[str]:
    """The subjects of the e-mails the member received."""
    return [message.subject for message in mail.outbox if user.email in message.to]


def assert_room_closed(client: Client, world: CaseRoomWorld) -> None:
    """Every page of the room: a redirect (step-up or sign-in), never the content."""
    for name in ("privacy:room", "privacy:search", "privacy:plan", "privacy:members"):
        response = client.get(reverse(name, args=[world.room.pk]), {"q": "schuld"})
        assert response.status_code == HTTPStatus.FOUND, name
        assert response["Location"].startswith(
            (reverse("mfa_reauthenticate"), reverse("account_login"))
        ), name
        assert CONTENT.encode() not in response.content
    index = client.get(reverse("privacy:index"))
    assert world.room.pseudonym.encode() not in index.content


def test_a_platform_administrator_cannot_take_over_a_members_account(
    scene, django_capture_on_commit_callbacks
):
    world, administrator, admin = scene
    member = world.member
    totp = Authenticator.objects.get(user=member, type=Authenticator.Type.TOTP)

    # The administrator is no member: the room does not exist for them.
    assert admin.get(reverse("privacy:room", args=[world.room.pk])).status_code == 404

    # (a) Read the member's TOTP secret in the admin: the page has no secret and no ciphertext.
    for url in (
        f"/admin/mfa/authenticator/{totp.pk}/change/",
        "/admin/mfa/authenticator/",
        f"/admin/accounts/user/{member.pk}/change/",
    ):
        body = admin.get(url).content.decode()
        assert TOTP_SECRET not in body and totp.data["secret"] not in body and "gAAAAA" not in body

    # (b) Set the member's password in the admin: no such page, and the form ignores it.
    for method in ("get", "post"):
        response = getattr(admin, method)(
            f"/admin/accounts/user/{member.pk}/password/",
            {"password1": TAKEN_OVER, "password2": TAKEN_OVER},
        )
        assert response.status_code == HTTPStatus.FORBIDDEN
    admin.post(
        f"/admin/accounts/user/{member.pk}/change/",
        {"display_name": member.display_name, "is_active": "on", "password": TAKEN_OVER,
         "email": ADMINS_ADDRESS},
    )  # fmt: skip
    member.refresh_from_db()
    assert member.check_password(MEMBERS_PASSWORD) and member.email != ADMINS_ADDRESS

    # (c) Give the member an address the administrator reads, verified and primary: the e-mail
    # address admin is read-only and has no "mark as verified" action.
    response = admin.post(
        "/admin/account/emailaddress/add/",
        {"user": member.pk, "email": ADMINS_ADDRESS, "verified": "on", "primary": "on"},
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    own = EmailAddress.objects.get(user=member)
    response = admin.post(
        f"/admin/account/emailaddress/{own.pk}/change/",
        {"user": member.pk, "email": ADMINS_ADDRESS, "verified": "on", "primary": "on"},
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    # Suppose the address got in some other way (a shell, the database): it is detected.
    with django_capture_on_commit_callbacks(execute=True):
        smuggled = EmailAddress.objects.create(user=member, email="x-" + ADMINS_ADDRESS)
    admin.post(
        "/admin/account/emailaddress/",
        {"action": "make_verified", "_selected_action": [smuggled.pk]},
    )
    smuggled.refresh_from_db()
    assert not smuggled.verified
    assert EmailAddress.objects.get(pk=own.pk).email == member.email
    assert [event.detail for event in events(member, Kind.EMAIL_ADDED)] == [
        f"x-{ADMINS_ADDRESS} (unverified)"
    ]
    assert len(mailed_to(member)) == 1  # the member hears of the new address
    smuggled.delete()

    # (d) Remove the member's second factor alone: deleting is refused; a removal request only
    # mails the member a confirmation link; approving one's own request is refused.
    response = admin.post(f"/admin/mfa/authenticator/{totp.pk}/delete/", {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(
            "/admin/accounts/user/",
            {"action": "request_second_factor_removal", "_selected_action": [member.pk]},
        )
    assert [message.to for message in mail.outbox] == [[member.email]]
    removal = SecondFactorRemoval.objects.get(user=member)
    admin.post(
        "/admin/accounts/secondfactorremoval/",
        {"action": "approve", "_selected_action": [removal.pk]},
    )
    assert Authenticator.objects.filter(user=member, type="totp").exists()
    assert len(events(member, Kind.REMOVAL_REQUESTED, Kind.REMOVAL_REFUSED)) == 2
    assert events(member, Kind.REMOVAL_REFUSED)[0].actor == administrator

    # (e) A reset link to the administrator's own address: the reset form only ever mails an
    # account's own addresses, so the link that arrives is for the administrator's account.
    mail.outbox.clear()
    Client().post(reverse("account_reset_password"), {"email": ADMINS_ADDRESS})
    Client().post(reverse("account_reset_password"), {"email": member.email})
    to_admin = [m for m in mail.outbox if ADMINS_ADDRESS in m.to]
    assert len(to_admin) == 1
    assert RESET_LINK.search(to_admin[0].body).group(2) == user_pk_to_url_str(administrator)
    assert all(ADMINS_ADDRESS not in m.to for m in mail.outbox if m is not to_admin[0])
    # the admin's "send a reset link" goes to the member's own address, and is logged
    mail.outbox.clear()
    admin.post(
        "/admin/accounts/user/",
        {"action": "send_password_reset", "_selected_action": [member.pk]},
    )
    assert [message.to for message in mail.outbox] == [[member.email]]
    assert events(member, Kind.RESET_LINK_SENT)[0].actor == administrator

    # Suppose the administrator got hold of that link anyway and chose a password.
    link = RESET_LINK.search(mail.outbox[0].body).group(1)
    attacker = Client()
    page = attacker.get(link, follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = attacker.post(form_url, {"password1": TAKEN_OVER, "password2": TAKEN_OVER})
    assert response.status_code == HTTPStatus.FOUND
    # ... detected: logged, and the member is told at their own address
    reset = events(member, Kind.PASSWORD_RESET)
    assert len(reset) == 1 and reset[0].actor is None
    assert mailed_to(member)

    # Signing in with it stops at the member's second factor; guessing a code is logged.
    response = attacker.post(
        reverse("account_login"), {"login": member.email, "password": TAKEN_OVER}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    attacker.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert events(member, Kind.SIGN_IN_REFUSED)
    assert_room_closed(attacker, world)

    # Even a full session with the new password (as if the sign-in had been finished some other
    # way) gets no content: it has no step with the member's second factor ...
    session = Client()
    session.force_login(User.objects.get(pk=member.pk))
    mark_signed_in(session, member, second_factor=False)
    assert_room_closed(session, world)
    # ... and a second-factor step from before the reset no longer counts either.
    mark_signed_in(session, member, seconds_ago=60)
    assert_room_closed(session, world)
    response = session.get(reverse("privacy:room", args=[world.room.pk]))
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))

    # What the member's own second factor does: only that opens the room again.
    session.post(response["Location"], {"code": "000000"})
    assert events(member, Kind.STEP_UP_REFUSED)
    assert_room_closed(session, world)
