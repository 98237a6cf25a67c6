"""Every e-mail links to the page it is about by a full address on SITE_URL, whether a page
sends it or a management command, an after-commit hook or the demo seed (core.links)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail
from django.core.management import call_command
from django.test import Client, TestCase
from django.urls import reverse

from channels_app import services as channel_services
from demo.directory import demo_email
from directory.models import Membership
from knowledge import services as knowledge_services
from tests.factories import SuperuserFactory, UserFactory
from tests.knowledge.fixtures import make_session, verified

pytestmark = pytest.mark.django_db

SITE = "https://wijk.example.nl"
#: anything in a body that looks like a link: a full address, or a path on its own
LINKS = re.compile(r"\b[a-z][a-z+.-]*://\S+|(?<!\S)/[\w./?=&%#-]*")


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def assert_links(body: str, *pages: str) -> None:
    """Every link in ``body`` is a full address on SITE_URL; each of ``pages`` is among them."""
    links = LINKS.findall(body)
    assert links, body
    assert all(link.startswith(f"{SITE}/") for link in links), links
    for page in pages:
        assert f"{SITE}{page}" in links, (page, links)


def test_the_digest_links_to_the_notifications_page(closed_room):
    room = closed_room
    with TestCase.captureOnCommitCallbacks(execute=True):
        channel_services.post_message(room.channel.pk, author=room.owner, body="@Mark Lid kijk")
    call_command("send_digests", min_age=0, stdout=StringIO())
    [message] = mail.outbox
    assert_links(message.body, reverse("channels_app:notifications"))


def test_a_session_reminder_links_to_the_session(trainer, colleague):
    session = make_session(trainer, days=0, hours=5)
    knowledge_services.register(session.pk, user=colleague)
    call_command("send_session_reminders", stdout=StringIO())
    [message] = mail.outbox
    assert_links(message.body, f"/knowledge/sessions/{session.pk}/")


def test_moving_up_from_the_waiting_list_links_to_the_session(trainer, colleague):
    session = make_session(trainer, capacity=1)
    waiting = verified("Wim Wachtlijst")
    knowledge_services.register(session.pk, user=colleague)
    knowledge_services.register(session.pk, user=waiting)
    with TestCase.captureOnCommitCallbacks(execute=True):
        knowledge_services.unregister(session.pk, user=colleague)
    [message] = mail.outbox
    assert message.to == [waiting.email]
    assert_links(message.body, f"/knowledge/sessions/{session.pk}/")


def test_the_demo_seeds_case_room_invitations_that_link_to_the_case_rooms(settings):
    settings.DEBUG = True
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("seed_demo", verbosity=0, stdout=StringIO())
    invitations = [m for m in mail.outbox if reverse("privacy:index") in m.body]
    assert [m.to for m in invitations] == [[demo_email("mirjam.eurlings")]]
    for message in mail.outbox:
        assert_links(message.body)
    assert_links(invitations[0].body, reverse("privacy:index"))


def test_a_suspended_member_is_told_with_a_link_to_the_members_page(world):
    with TestCase.captureOnCommitCallbacks(execute=True):
        Membership.objects.filter(professional__user=world.member).delete()
    [message] = [m for m in mail.outbox if m.to == [world.coordinator.email]]
    assert_links(message.body, reverse("privacy:members", args=[world.room.pk]))


def test_the_access_log_checkpoint_links_to_its_verification(world, settings, tmp_path):
    settings.ACCESS_LOG_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    UserFactory(roles=["privacy_officer"])
    call_command("checkpoint_access_log", "--email", stdout=StringIO())
    assert mail.outbox
    for message in mail.outbox:
        # the checkpoint's own line is JSON, no link
        assert f"{SITE}{reverse('privacy:verify_log')}\n" in f"{message.body}\n"


def test_a_security_notice_links_to_the_password_reset(user):
    with TestCase.captureOnCommitCallbacks(execute=True):
        user.set_password("Een-nieuw-wachtwoord-43")
        user.save()
    [message] = mail.outbox
    assert_links(message.body, reverse("account_reset_password"))


# ---- e-mails sent while a page is served: the same links, whatever host the request named --


def test_an_invitation_links_to_site_url_not_the_requests_host(client, admin_user):
    client.force_login(admin_user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            reverse("accounts:invitation_list"),
            {"email": "nieuw@wijk.example", "display_name": "Nina Nieuw"},
            HTTP_HOST="testserver",
        )
    [message] = mail.outbox
    assert_links(message.body)
    assert f"{SITE}/accounts/invitation/" in message.body


def test_a_second_factor_removal_links_to_site_url(user):
    TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    RecoveryCodes.activate(user)
    admin = Client()
    admin.force_login(SuperuserFactory())
    with TestCase.captureOnCommitCallbacks(execute=True):
        admin.post(
            "/admin/accounts/user/",
            {"action": "request_second_factor_removal", "_selected_action": [user.pk]},
        )
    [message] = [m for m in mail.outbox if "/second-factor/remove/" in m.body]
    assert_links(message.body)
    assert f"{SITE}/accounts/second-factor/remove/" in message.body


def test_a_password_reset_links_to_site_url(client, user):
    client.post(reverse("account_reset_password"), {"email": user.email})
    [message] = mail.outbox
    assert f"{SITE}/accounts/password/reset/key/" in message.body
    assert "testserver" not in message.body


def test_a_case_room_invitation_from_the_members_page_links_to_the_case_rooms(world):
    from tests.privacy.fixtures import strong_client

    client = strong_client(world.coordinator)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("privacy:members", args=[world.room.pk]), {"user": world.outsider.pk})
    [message] = [m for m in mail.outbox if m.to == [world.outsider.email]]
    assert_links(message.body, reverse("privacy:index"))
