"""After a withdrawal or a closing only the coordinator keeps reading; new consent reopens.

The rule lives in ``privacy.policy``; the services apply it when the event happens (memberships
and invitations end, logged, open pages stop) and ``CaseAccess.can_read`` asks it on every read.
"""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from privacy import access, policy, services
from privacy.models import AccessLogEntry, CaseMember, CaseMessage, CaseRoom
from tests.privacy.fixtures import strong_client

pytestmark = pytest.mark.django_db

CONTENT_PAGES = ["room", "plan", "health", "members", "consent", "search"]


def _status(world, user) -> str:
    return CaseMember.objects.get(room=world.room, user=user).status


def _file(world):
    pdf = SimpleUploadedFile("verslag.pdf", b"%PDF-1.4\n%x\n", content_type="application/pdf")
    message, _created = services.post_message(
        world.room.pk, author=world.coordinator, body="Verslag huisbezoek", uploads=[pdf]
    )
    return message.files.get()


def _renew(world, **kwargs):
    today = timezone.localdate()
    return services.record_consent(
        world.room,
        by=world.coordinator,
        given_by="resident",
        given_on=today,
        valid_until=today + timedelta(days=180),
        organisations=kwargs.get("organisations", [world.practice, world.welfare]),
    )


# ---- the rule itself ---------------------------------------------------------------------------


def _room(**fields) -> CaseRoom:
    return CaseRoom(**{"status": CaseRoom.Status.OPEN, **fields})


def _member(role=CaseMember.Role.MEMBER, status=CaseMember.Status.ACTIVE) -> CaseMember:
    return CaseMember(role=role, status=status)


@pytest.mark.parametrize(
    ("room", "member_reads", "invitation_stands"),
    [
        (_room(), True, True),
        (_room(content_stopped_at=timezone.now()), False, False),  # consent withdrawn
        (_room(status=CaseRoom.Status.CLOSED, content_stopped_at=timezone.now()), False, False),
        (_room(status=CaseRoom.Status.CLOSED, purged_at=timezone.now()), False, False),
    ],
    ids=["in use", "withdrawn", "closed", "purged"],
)
def test_it_lets_only_the_coordinator_read_a_room_out_of_use(room, member_reads, invitation_stands):
    coordinator = _member(role=CaseMember.Role.COORDINATOR)
    member = _member()
    invited = _member(status=CaseMember.Status.INVITED)
    assert policy.may_read_after(room, coordinator) is True
    assert policy.may_read_after(room, member) is member_reads
    assert policy.may_read_after(room, invited) is False  # an invitation is not a right to read
    assert policy.may_read_after(room, None) is False
    assert policy.keeps_place(room, invited) is invitation_stands
    ended = policy.places_to_end(room, [coordinator, member, invited, _member(status="removed")])
    assert ended == ([] if member_reads else [member, invited])


def test_it_asks_the_rule_in_can_read_even_if_a_membership_was_left_active(world):
    """Defence in depth: a room stopped outside the services (old data) is read by nobody else."""
    CaseRoom.objects.filter(pk=world.room.pk).update(content_stopped_at=timezone.now())
    room = CaseRoom.objects.get(pk=world.room.pk)
    assert _status(world, world.member) == CaseMember.Status.ACTIVE
    assert access.access_for(world.member, room).can_read is False
    assert access.access_for(world.coordinator, room).can_read is True


# ---- withdrawal --------------------------------------------------------------------------------


def test_withdrawal_ends_every_other_members_access_and_keeps_the_coordinators(
    world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = _file(world)
    services.withdraw_consent(world.room, by=world.coordinator)

    member = strong_client(world.member)
    coordinator = strong_client(world.coordinator)
    pk = world.room.pk
    for page in CONTENT_PAGES:
        response = member.get(reverse(f"privacy:{page}", args=[pk]))
        assert response.status_code == HTTPStatus.NOT_FOUND, page
        assert world.room.pseudonym.encode() not in response.content
        assert coordinator.get(reverse(f"privacy:{page}", args=[pk])).status_code == HTTPStatus.OK
    file_url = reverse("privacy:file", args=[pk, item.pk])
    assert member.get(file_url).status_code == HTTPStatus.NOT_FOUND
    assert coordinator.get(file_url).status_code == HTTPStatus.OK
    assert world.room.pseudonym.encode() not in member.get(reverse("privacy:index")).content
    # the coordinator reads, but adds nothing
    coordinator.post(reverse("privacy:post", args=[pk]), {"body": "Nog iets"})
    assert not CaseMessage.objects.filter(body="Nog iets").exists()
    assert _status(world, world.member) == CaseMember.Status.REMOVED
    assert _status(world, world.coordinator) == CaseMember.Status.ACTIVE


def test_withdrawal_revokes_open_invitations(world):
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    join = reverse("privacy:join", args=[world.room.pk])
    assert strong_client(world.outsider).get(join).status_code == HTTPStatus.OK

    services.withdraw_consent(world.room, by=world.coordinator)

    response = strong_client(world.outsider).get(join)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert world.room.pseudonym.encode() not in response.content
    assert world.room.purpose.encode() not in response.content
    accept = strong_client(world.outsider).post(join, {"decision": "accept"})
    assert accept.status_code == HTTPStatus.NOT_FOUND
    assert _status(world, world.outsider) == CaseMember.Status.REMOVED


def test_each_ended_place_is_logged_with_its_reason(world):
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    services.withdraw_consent(world.room, by=world.coordinator)
    entries = AccessLogEntry.objects.filter(
        room_id_ref=world.room.pk, object_type="case_member", action="delete"
    )
    details = {int(entry.object_id): entry.detail for entry in entries}
    assert details == {
        world.member.pk: "access ended: consent withdrawn",
        world.member_without_mfa.pk: "access ended: consent withdrawn",
        world.outsider.pk: "invitation revoked: consent withdrawn",
    }
    assert {entry.user_id_ref for entry in entries} == {world.coordinator.pk}


def test_withdrawal_keeps_the_room_open_for_new_consent(world):
    services.withdraw_consent(world.room, by=world.coordinator)
    room = CaseRoom.objects.get(pk=world.room.pk)
    assert room.status == CaseRoom.Status.OPEN and room.closed_at is None
    assert room.content_stopped_at is not None  # the retention clock runs
    assert services.rooms_past_retention(now=timezone.now() + timedelta(days=731)) == [room]


# ---- new consent after a withdrawal -------------------------------------------------------------


def test_new_consent_puts_the_room_back_in_use_and_members_are_invited_again(world):
    services.withdraw_consent(world.room, by=world.coordinator)
    coordinator = strong_client(world.coordinator)
    consent_page = coordinator.get(reverse("privacy:consent", args=[world.room.pk]))
    assert b'name="valid_until"' in consent_page.content  # the form to record new consent

    today = timezone.localdate()
    response = coordinator.post(
        reverse("privacy:consent", args=[world.room.pk]),
        {"given_by": "resident", "form": "verbal", "given_on": today.isoformat(),
         "valid_until": (today + timedelta(days=90)).isoformat(),
         "organisations": [world.practice.pk, world.welfare.pk]},
    )  # fmt: skip
    assert response.status_code == HTTPStatus.FOUND
    room = CaseRoom.objects.get(pk=world.room.pk)
    assert room.content_stopped_at is None and room.is_open
    assert access.content_allowed(room)
    assert services.rooms_past_retention(now=timezone.now() + timedelta(days=9999)) == []
    reopened = AccessLogEntry.objects.filter(room_id_ref=room.pk, object_type="case_room",
                                             detail__startswith="in use again")  # fmt: skip
    assert reopened.count() == 1

    # nobody is let back in by the consent alone: the coordinator invites again
    member = strong_client(world.member)
    assert member.get(reverse("privacy:room", args=[room.pk])).status_code == HTTPStatus.NOT_FOUND
    members_page = coordinator.get(reverse("privacy:members", args=[room.pk])).content.decode()
    assert "data-invite-again" in members_page and world.member.display_name in members_page
    coordinator.post(reverse("privacy:members", args=[room.pk]), {"user": world.member.pk})
    assert _status(world, world.member) == CaseMember.Status.INVITED
    member.post(reverse("privacy:join", args=[room.pk]), {"decision": "accept"})
    assert member.get(reverse("privacy:room", args=[room.pk])).status_code == HTTPStatus.OK
    services.post_message(room.pk, author=world.member, body="Weer samen verder")
    assert CaseMessage.objects.filter(room=room, body="Weer samen verder").exists()


def test_the_new_consent_decides_who_can_be_invited_again(world):
    services.withdraw_consent(world.room, by=world.coordinator)
    _renew(world, organisations=[world.practice])
    with pytest.raises(ValidationError):
        services.invite(world.room, by=world.coordinator, user=world.member)  # welfare: not now


def _earlier_members(client, world) -> str:
    html = client.get(reverse("privacy:members", args=[world.room.pk])).content.decode()
    return html.split('id="earlier-heading"', 1)[1] if 'id="earlier-heading"' in html else ""


def test_earlier_members_are_the_coordinators_record_only(world):
    services.remove_member(world.room, by=world.coordinator, user=world.member_without_mfa)
    assert _earlier_members(strong_client(world.member), world) == ""
    earlier = _earlier_members(strong_client(world.coordinator), world)
    assert world.member_without_mfa.display_name in earlier
    assert world.member.display_name not in earlier  # still a member


# ---- closing -----------------------------------------------------------------------------------


def test_closing_ends_every_other_members_access_and_revokes_invitations(world):
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    services.close_room(world.room, by=world.coordinator)
    pk = world.room.pk
    member = strong_client(world.member)
    for page in CONTENT_PAGES:
        assert member.get(reverse(f"privacy:{page}", args=[pk])).status_code == HTTPStatus.NOT_FOUND
        coordinator = strong_client(world.coordinator)
        assert coordinator.get(reverse(f"privacy:{page}", args=[pk])).status_code == HTTPStatus.OK
    join = strong_client(world.outsider).get(reverse("privacy:join", args=[pk]))
    assert join.status_code == HTTPStatus.NOT_FOUND
    assert _status(world, world.member) == CaseMember.Status.REMOVED
    assert _status(world, world.outsider) == CaseMember.Status.REMOVED
    details = set(
        AccessLogEntry.objects.filter(
            room_id_ref=pk, object_type="case_member", action="delete"
        ).values_list("detail", flat=True)
    )
    assert details == {"access ended: room closed", "invitation revoked: room closed"}


def test_a_closed_room_takes_no_new_consent(world):
    services.close_room(world.room, by=world.coordinator)
    with pytest.raises(ValidationError):
        _renew(world)
    page = strong_client(world.coordinator).get(reverse("privacy:consent", args=[world.room.pk]))
    assert b'name="valid_until"' not in page.content


# ---- rooms stopped before the rule --------------------------------------------------------------


def test_the_migration_ends_places_left_in_rooms_stopped_before_the_rule(world):
    from importlib import import_module

    migration = import_module("privacy.migrations.0005_withdrawal_policy")
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    open_room = services.create_room(by=world.coordinator, pseudonym="Gezin T., Heerlen",
                                     purpose="Samenwerken", legal_ground="consent")  # fmt: skip
    # what an earlier version left behind: a closed room with its members still in
    CaseRoom.objects.filter(pk=world.room.pk).update(
        status=CaseRoom.Status.CLOSED, closed_at=timezone.now(), content_stopped_at=timezone.now()
    )
    migration.end_places_in_stopped_rooms(apps, None)
    assert _status(world, world.member) == CaseMember.Status.REMOVED
    assert _status(world, world.outsider) == CaseMember.Status.REMOVED
    assert _status(world, world.coordinator) == CaseMember.Status.ACTIVE
    assert CaseMember.objects.get(room=open_room).status == CaseMember.Status.ACTIVE
