"""The invitation picker offers whom the room's consent covers and who is not in the room yet,
each with the organisation they would join for; anyone else is refused on the field."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from directory.models import Membership
from privacy import access, services
from privacy.models import CaseMember
from tests.factories import OrganisationFactory
from tests.privacy.fixtures import professional, strong_client, with_mfa

pytestmark = pytest.mark.django_db


def _offered(response) -> dict[int, str]:
    """The picker's options: user id → the label the coordinator reads."""
    field = response.context["invite_form"].fields["user"]
    return {int(str(value)): label for value, label in field.choices if value}


def _members_page(world, user=None):
    return strong_client(user or world.coordinator).get(
        reverse("privacy:members", args=[world.room.pk])
    )


def test_it_lists_covered_professionals_who_are_not_in_the_room(world):
    invited = with_mfa(professional("Ivo Uitgenodigd", world.welfare))
    services.invite(world.room, by=world.coordinator, user=invited)
    removed = with_mfa(professional("Rik Weg", world.practice))
    services.invite(world.room, by=world.coordinator, user=removed)
    services.respond(world.room, user=removed, accept=True)
    services.remove_member(world.room, by=world.coordinator, user=removed)

    response = _members_page(world)
    assert response.status_code == HTTPStatus.OK
    offered = _offered(response)
    # covered and not in the room: listed, with the organisation they would join for
    assert offered[world.outsider.pk] == "Otto Buiten (Welzijn Samen Hoensbroek)"
    assert offered[removed.pk] == "Rik Weg (Huisartsenpraktijk Kasteelpark)"
    # members (the coordinator too) and open invitations are not
    for user in (world.coordinator, world.member, world.member_without_mfa, invited):
        assert user.pk not in offered
    # nor anyone the consent does not cover, or who is not verified
    assert world.uncovered.pk not in offered
    assert world.unverified.pk not in offered
    html = response.content.decode()
    picker = html[html.index('<select name="user"') : html.index("</select>")]
    option = rf'<option value="{world.outsider.pk}"\s*>Otto Buiten \(Welzijn Samen Hoensbroek\)<'
    assert re.search(option, picker)
    assert "Kies een professional" in picker
    assert "Floor Fysio" not in html


def test_it_names_the_organisation_the_invitation_records(world):
    """Someone in two covered organisations joins for the first, as ``services.invite`` does."""
    both = with_mfa(professional("Dewi Dubbel", world.welfare))
    Membership.objects.create(
        professional=both.professional, organisation=world.practice, verified=True
    )
    first = min([world.practice, world.welfare], key=lambda o: o.pk)
    assert _offered(_members_page(world))[both.pk] == f"Dewi Dubbel ({first.name})"
    membership = services.invite(world.room, by=world.coordinator, user=both)
    assert membership.organisation == first


def test_an_unverified_membership_of_a_covered_organisation_does_not_count(world):
    elsewhere_too = with_mfa(professional("Eva Elders", world.elsewhere))
    Membership.objects.create(
        professional=elsewhere_too.professional, organisation=world.welfare, verified=False
    )
    assert elsewhere_too.pk not in _offered(_members_page(world))
    assert elsewhere_too.pk not in {user.pk for user, _org in access.invitable(world.room)}


@pytest.mark.parametrize("who", ["uncovered", "member", "unverified"])
def test_posting_someone_not_offered_is_refused_on_the_field(world, who):
    user = getattr(world, who)
    before = list(CaseMember.objects.filter(room=world.room).values_list("user", "status"))
    response = strong_client(world.coordinator).post(
        reverse("privacy:members", args=[world.room.pk]), {"user": user.pk}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    form = response.context["invite_form"]
    assert form.has_error("user", "invalid_choice")
    html = response.content.decode()
    assert "Kies iemand uit de lijst" in html  # the field's error, in Dutch
    assert 'aria-invalid="true"' in html
    assert list(CaseMember.objects.filter(room=world.room).values_list("user", "status")) == before


def test_posting_someone_offered_invites_them(world):
    response = strong_client(world.coordinator).post(
        reverse("privacy:members", args=[world.room.pk]), {"user": world.outsider.pk}
    )
    assert response.status_code == HTTPStatus.FOUND
    membership = CaseMember.objects.get(room=world.room, user=world.outsider)
    assert membership.status == CaseMember.Status.INVITED
    assert membership.organisation == world.welfare
    assert world.outsider.pk not in _offered(_members_page(world))


def test_without_consent_in_force_nobody_is_offered_and_the_page_says_why(world):
    services.withdraw_consent(world.room, by=world.coordinator)
    assert access.invitable(world.room) == []
    room = services.create_room(by=world.coordinator, pseudonym="Mevrouw B., Heerlen Noord",
                                purpose="Eenzaamheid", legal_ground="consent")  # fmt: skip
    response = strong_client(world.coordinator).get(reverse("privacy:members", args=[room.pk]))
    assert _offered(response) == {}
    html = response.content.decode()
    assert "data-nobody-to-invite" in html
    assert reverse("privacy:consent", args=[room.pk]) in html
    assert "<select" not in html


def test_when_everyone_covered_is_in_the_page_says_so(world):
    lonely = OrganisationFactory(name="Buurtteam Noord", slug="buurtteam-noord")
    services.record_consent(
        world.room, by=world.coordinator, given_by="resident",
        given_on=world.room.consents.first().given_on,
        valid_until=world.room.consents.first().valid_until, organisations=[lonely],
    )  # fmt: skip
    response = _members_page(world)
    assert _offered(response) == {}
    assert "Iedereen voor wie de toestemming geldt" in response.content.decode()


def test_members_who_do_not_coordinate_get_no_picker(world):
    response = _members_page(world, world.member)
    assert response.status_code == HTTPStatus.OK
    assert response.context["invite_form"] is None
    assert 'name="user"' not in response.content.decode()


def test_earlier_members_are_offered_again_only_when_covered(world):
    former = with_mfa(professional("Gijs Gewezen", world.welfare))
    services.invite(world.room, by=world.coordinator, user=former)
    services.respond(world.room, user=former, accept=True)
    services.remove_member(world.room, by=world.coordinator, user=former)
    html = _members_page(world).content.decode()
    assert f'data-invite-again><input type="hidden" name="user" value="{former.pk}"' in html
    Membership.objects.filter(professional__user=former).update(organisation=world.elsewhere)
    html = _members_page(world).content.decode()
    assert "Gijs Gewezen" in html  # still listed as an earlier member
    assert f'name="user" value="{former.pk}"' not in html
