"""A case-room invitation is also a notification: stored, pushed live, in the digest, opening
the invitation. Like every case-room notification it names no room and carries no content."""

from __future__ import annotations

import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from channels.layers import get_channel_layer
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from channels_app import notifications
from channels_app.models import Notification
from directory.models import Membership
from privacy import coverage, services
from tests.privacy.fixtures import professional, strong_client, with_mfa

pytestmark = pytest.mark.django_db


def _secrets(world) -> list[str]:
    return [world.room.pseudonym, "Gezin K", world.room.purpose]


@pytest.fixture
def frames(monkeypatch):
    sent: list[tuple[str, dict]] = []
    layer = get_channel_layer()
    original = layer.group_send

    async def spy(group, event):
        sent.append((group, event))
        await original(group, event)

    monkeypatch.setattr(layer, "group_send", spy)
    return sent


def test_an_invitation_notifies_the_invitee_with_a_link_to_it(world, frames):
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.invite(world.room, by=world.coordinator, user=world.outsider)
    notification = Notification.objects.get(user=world.outsider)
    assert notification.kind == Notification.Kind.CASE_INVITATION
    assert notification.actor == world.coordinator
    assert notification.channel is None
    assert notification.link == reverse("privacy:join", args=[world.room.pk])
    assert notification.read_at is None
    # pushed to the invitee's sockets, and to nobody else's
    pushed = [(group, event) for group, event in frames if group.startswith("user.")]
    assert [group for group, _event in pushed] == [f"user.{world.outsider.pk}"]
    text = pushed[0][1]["text"]
    frame = json.loads(text)
    assert frame["kind"] == "case_invitation" and frame["actor"] == "Anouk Regie"
    assert frame["id"] == notification.pk and frame["channel"] == "" and frame["room"] is None
    for secret in _secrets(world):
        assert secret not in text


def test_the_notification_reads_without_the_room_and_opens_the_invitation(world):
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    client = strong_client(world.outsider)
    page = client.get(reverse("channels_app:notifications")).content.decode()
    assert "Anouk Regie heeft je uitgenodigd voor een casusruimte" in page
    # the sentence the page's script writes for one arriving live
    assert 'data-text-case-invitation="%(actor)s heeft je uitgenodigd voor een casusruimte"' in page
    for secret in _secrets(world):
        assert secret not in page
    notification = Notification.objects.get(user=world.outsider)
    response = client.post(reverse("channels_app:open_notification", args=[notification.pk]))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("privacy:join", args=[world.room.pk])
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert client.get(response["Location"]).status_code == HTTPStatus.OK
    # the header's count went down with it
    assert client.get(reverse("home")).context["unread_notifications"] == 0


def test_someone_else_cannot_open_the_notification(world):
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    notification = Notification.objects.get(user=world.outsider)
    response = strong_client(world.member).post(
        reverse("channels_app:open_notification", args=[notification.pk])
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_revoked_invitation_opens_a_404_like_any_room_one_may_not_see(world):
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    services.remove_member(world.room, by=world.coordinator, user=world.outsider)
    client = strong_client(world.outsider)
    notification = Notification.objects.get(user=world.outsider)
    response = client.post(reverse("channels_app:open_notification", args=[notification.pk]))
    assert client.get(response["Location"]).status_code == HTTPStatus.NOT_FOUND


def test_the_digest_tells_of_the_invitation_without_the_room(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    Notification.objects.update(created_at=timezone.now() - timedelta(hours=1))
    mail.outbox.clear()  # the invitation's own e-mail
    call_command("send_digests")
    (digest,) = [message for message in mail.outbox if message.to == [world.outsider.email]]
    assert "Anouk Regie heeft je uitgenodigd voor een casusruimte" in digest.body
    for secret in _secrets(world):
        assert secret not in f"{digest.subject}\n{digest.body}"
    assert Notification.objects.get(user=world.outsider).emailed_at is not None


def test_the_coordinator_is_notified_of_a_suspension_without_the_room(world, frames):
    Membership.objects.filter(professional__user=world.member).update(organisation=world.elsewhere)
    with TestCase.captureOnCommitCallbacks(execute=True):
        coverage.review_user(world.member.pk)  # what a change of organisation sets off
    notification = Notification.objects.get(user=world.coordinator)
    assert notification.kind == Notification.Kind.CASE_MEMBER_SUSPENDED
    assert notification.actor == world.member
    assert notification.link == reverse("privacy:members", args=[world.room.pk])
    client = strong_client(world.coordinator)
    page = client.get(reverse("channels_app:notifications")).content.decode()
    assert "Mirjam Welzijn heeft geen toegang meer tot een van je casusruimtes" in page
    for secret in _secrets(world):
        assert secret not in page
    for _group, event in frames:
        for secret in _secrets(world):
            assert secret not in event.get("text", "")


def test_a_notification_is_about_a_channel_or_an_address_never_neither(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(user=world.member, kind="case_invitation")
    with pytest.raises(ValueError, match="not a local address"):
        notifications.notify_elsewhere(
            [world.member.pk], "case_invitation", link="https://elders.example/"
        )
    with pytest.raises(ValueError, match="not a local address"):
        notifications.notify_elsewhere([world.member.pk], "case_invitation", link="//elders")


def test_an_invitee_signed_in_without_a_second_factor_sees_the_count(world):
    newcomer = with_mfa(professional("Nina Nieuw", world.practice))
    services.invite(world.room, by=world.coordinator, user=newcomer)
    client = Client()
    client.force_login(newcomer)
    assert client.get(reverse("home")).context["unread_notifications"] == 1
