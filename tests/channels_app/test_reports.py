"""Reported messages: who is told, what moderators see (the reported message only), and the log."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied
from django.test import TestCase
from django.urls import reverse

from channels_app import services
from channels_app.models import ModerationEntry, Notification, Report
from tests.factories import ProfessionalFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db


def post(channel, author, body):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.post_message(channel.pk, author=author, body=body)[0]


def report_url(message):
    return reverse("channels_app:report", args=[message.channel_id, message.pk])


def detail_url(report):
    return reverse("channels_app:report_detail", args=[report.pk])


@pytest.fixture
def conversation(db):
    """A direct conversation with a reported message and one that was not reported."""
    sender = ProfessionalFactory(user__display_name="Sanne Afzender").user
    reader = ProfessionalFactory(user__display_name="Rob Lezer").user
    channel = services.direct_channel(by=sender, others=[reader])
    reported = post(channel, sender, "Dit is **ongepast**")
    post(channel, sender, "Een ander bericht dat niemand meldde")
    return channel, sender, reader, reported


def test_a_report_in_a_direct_conversation_reaches_the_platform_moderators(client, conversation):
    channel, _sender, reader, reported = conversation
    admin = UserFactory(display_name="Bea Beheer", roles=["platform_admin"])
    superuser = SuperuserFactory(display_name="Sara Super")
    bystander = ProfessionalFactory().user
    client.force_login(reader)
    response = client.post(report_url(reported), {"reason": "Kwetsend"})
    assert response.status_code == HTTPStatus.FOUND
    report = Report.objects.get()
    assert report.body == "Dit is **ongepast**"
    told = set(Notification.objects.filter(kind="report").values_list("user", flat=True))
    assert told == {admin.pk, superuser.pk}  # nobody in the conversation moderates it
    assert bystander.pk not in told

    # the administrator opens the notification and lands on the report, not the conversation
    client.force_login(admin)
    notification = Notification.objects.get(user=admin)
    response = client.post(reverse("channels_app:open_notification", args=[notification.pk]))
    assert response["Location"] == detail_url(report)
    page = client.get(detail_url(report)).content.decode()
    assert "<strong>ongepast</strong>" in page and "Kwetsend" in page
    assert "niemand meldde" not in page  # the reported message only
    assert client.get(reverse("channels_app:channel", args=[channel.pk])).status_code == 404
    assert "in zijn kanaal bekijken" not in page
    entry = ModerationEntry.objects.get()
    assert (entry.actor, entry.action, entry.actor_name) == (admin, "viewed", "Bea Beheer")


def test_removing_asks_for_confirmation_then_removes_and_logs(client, conversation):
    _channel, sender, reader, reported = conversation
    admin = UserFactory(display_name="Bea Beheer", roles=["platform_admin"])
    other = services.report_message(reported, by=sender, reason="Per ongeluk verstuurd")
    report = services.report_message(reported, by=reader, reason="Kwetsend")
    client.force_login(admin)
    page = client.post(detail_url(report), {"outcome": "removed"})
    assert page.status_code == HTTPStatus.OK
    assert "Dit kun je niet ongedaan maken." in page.content.decode()
    reported.refresh_from_db()
    assert not reported.is_deleted and Report.objects.filter(resolved_at=None).count() == 2

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(detail_url(report), {"outcome": "removed", "confirmed": "1"})
    assert response["Location"] == detail_url(report)
    reported.refresh_from_db()
    assert reported.is_deleted and reported.body == "" and reported.deleted_by == admin
    for each in (report, other):  # every open report on the message is closed with it
        each.refresh_from_db()
        assert (each.outcome, each.resolved_by) == ("removed", admin)
    assert list(ModerationEntry.objects.values_list("report", "action")) == [
        (report.pk, "removed"),
        (other.pk, "removed"),
    ]
    # the report keeps what was reported, for the record; a second decision is refused
    page = client.get(detail_url(report)).content.decode()
    assert "<strong>ongepast</strong>" in page
    client.post(detail_url(other), {"outcome": "dismissed"})
    other.refresh_from_db()
    assert other.outcome == "removed"


def test_channel_moderators_handle_their_channel_and_nothing_else(client, closed_room):
    room = closed_room
    message = post(room.channel, room.member, "Iets ongepasts")
    moderator = ProfessionalFactory(user__display_name="Mona Moderator").user
    services._add_member(room.channel, moderator, "moderator")
    UserFactory(roles=["platform_admin"])  # not told: the channel has moderators of its own
    report = services.report_message(message, by=room.owner, reason="Hoort hier niet")
    told = Notification.objects.filter(kind="report").values_list("user", flat=True)
    assert list(told) == [moderator.pk]  # the owner (an admin of the channel) reported it

    client.force_login(moderator)
    listing = client.get(reverse("channels_app:reports")).content.decode()
    assert detail_url(report) in listing and "Hoort hier niet" in listing
    page = client.get(detail_url(report)).content.decode()
    assert "Iets ongepasts" in page and "Het bericht in zijn kanaal bekijken" in page
    client.post(detail_url(report), {"outcome": "dismissed"})
    report.refresh_from_db()
    message.refresh_from_db()
    assert report.outcome == "dismissed" and not message.is_deleted
    assert list(ModerationEntry.objects.values_list("actor", "action")) == [
        (moderator.pk, "viewed"),
        (moderator.pk, "dismissed"),
    ]
    handled = client.get(reverse("channels_app:reports") + "?status=handled").content.decode()
    assert detail_url(report) in handled

    # a member who does not moderate, an outsider, the unverified: nothing, and nothing logged
    for person in (room.member, room.outsider, room.unverified):
        client.force_login(person)
        response = client.get(detail_url(report))
        assert response.status_code in (403, 404)
        assert (
            detail_url(report) not in client.get(reverse("channels_app:reports")).content.decode()
        )
        client.post(detail_url(report), {"outcome": "removed", "confirmed": "1"})
    message.refresh_from_db()
    assert not message.is_deleted and ModerationEntry.objects.count() == 2


def test_a_report_shows_the_text_as_reported_even_after_an_edit(client, closed_room):
    room = closed_room
    message = post(room.channel, room.member, "Eerste versie")
    report = services.report_message(message, by=room.owner, reason="Onjuist")
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.edit_message(message, by=room.member, body="Nette versie")
    client.force_login(UserFactory(roles=["platform_admin"]))
    page = client.get(detail_url(report)).content.decode()
    assert "Eerste versie" in page and "Nette versie" not in page
    assert "Het bericht is bewerkt nadat het werd gemeld." in page


def test_the_report_form(client, closed_room):
    room = closed_room
    message = post(room.channel, room.owner, "Vraag aan iedereen")
    client.force_login(room.member)
    form = client.get(report_url(message))
    assert form.status_code == HTTPStatus.OK and "Vraag aan iedereen" in form.content.decode()
    refused = client.post(report_url(message), {"reason": "  "})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert 'aria-invalid="true"' in refused.content.decode()
    assert client.post(report_url(message), {"reason": "x" * 501}).status_code == 400
    assert not Report.objects.exists()
    client.force_login(room.outsider)
    assert client.get(report_url(message)).status_code == HTTPStatus.NOT_FOUND
    # the row offers it for others' messages, not for one's own: every row carries the link,
    # marked for others (data-needs="other"), and the page marks the reader's own rows
    # (data-mine), which the styles use to hide it (shown in Chromium in tests/e2e)
    client.force_login(room.member)
    mine = post(room.channel, room.member, "Mijn eigen bericht")
    page = client.get(reverse("channels_app:channel", args=[room.channel.pk])).content.decode()
    rows = {
        int(m[1]): m[0]
        for m in re.finditer(r'<li class="wijk-message[^>]*data-id="(\d+)"[^>]*>', page)
    }
    assert "data-mine" not in rows[message.pk] and "data-mine" in rows[mine.pk]
    assert f'data-needs="other" href="{report_url(message)}"' in page


def test_a_deleted_message_cannot_be_reported(client, closed_room):
    room = closed_room
    message = post(room.channel, room.owner, "Weg ermee")
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.delete_message(message, by=room.owner)
    client.force_login(room.member)
    response = client.post(report_url(message), {"reason": "Spam"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Report.objects.exists()


def test_a_report_on_a_moderators_own_message_goes_to_someone_else(client, closed_room):
    room = closed_room
    message = post(room.channel, room.owner, "Iets van de beheerder zelf")
    moderator = ProfessionalFactory(user__display_name="Mona Moderator").user
    services._add_member(room.channel, moderator, "moderator")
    services.report_message(message, by=room.member, reason="Ongepast")
    told = Notification.objects.filter(kind="report").values_list("user", flat=True)
    assert list(told) == [moderator.pk]  # the owner wrote it: not told of it


def test_without_another_moderator_the_platform_moderators_judge_it(client, closed_room):
    room = closed_room
    message = post(room.channel, room.owner, "Iets van de beheerder zelf")
    admin = UserFactory(display_name="Bea Beheer", roles=["platform_admin"])
    report = services.report_message(message, by=room.member, reason="Ongepast")
    told = set(Notification.objects.filter(kind="report").values_list("user", flat=True))
    assert told == {admin.pk}

    # the author, who moderates the channel, cannot dismiss (or remove) it
    with pytest.raises(PermissionDenied):
        services.resolve_report(report, by=room.owner, outcome="dismissed")
    client.force_login(room.owner)
    for data in ({"outcome": "dismissed"}, {"outcome": "removed", "confirmed": "1"}):
        response = client.post(detail_url(report), data)
        assert response.status_code == HTTPStatus.NOT_FOUND
    report.refresh_from_db()
    assert report.is_open and not ModerationEntry.objects.filter(action="dismissed").exists()

    client.force_login(admin)
    client.post(detail_url(report), {"outcome": "dismissed"})
    report.refresh_from_db()
    assert report.outcome == "dismissed" and report.resolved_by == admin
