from __future__ import annotations

import pytest
from django.urls import reverse

from directory.models import Visibility
from tests.factories import OrganisationFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db

PHONE = "045 555 0101"


@pytest.fixture
def owner(town):
    counsellor = town["counsellor"]
    counsellor.phone = PHONE
    counsellor.save()
    return counsellor


@pytest.fixture
def same_organisation(owner):
    return ProfessionalFactory(organisation=owner.memberships.get().organisation).user


@pytest.fixture
def outsider(owner):
    return ProfessionalFactory(organisation=OrganisationFactory()).user


def views(client, owner):
    profile = client.get(reverse("directory:professional", args=[owner.pk])).content.decode()
    results = client.get(reverse("directory:index"), {"q": "Claessens"}).content.decode()
    card = client.get(reverse("directory:professional_vcard", args=[owner.pk])).content.decode()
    assert "Sanne Claessens" in results  # the person is found; only the details differ
    return profile, results, card


@pytest.mark.parametrize(
    ("visibility", "member_sees", "outsider_sees"),
    [
        (Visibility.COLLEAGUES, True, True),
        (Visibility.ORGANISATION, True, False),
        (Visibility.HIDDEN, False, False),
    ],
)
def test_phone_and_email_visibility_hold_in_page_results_and_vcard(
    client, owner, same_organisation, outsider, visibility, member_sees, outsider_sees
):
    owner.phone_visibility = visibility
    owner.email_visibility = visibility
    owner.save()
    for viewer, sees in [(same_organisation, member_sees), (outsider, outsider_sees)]:
        client.force_login(viewer)
        for text in views(client, owner):
            assert (PHONE in text) is sees
            assert ("sanne@wijk.example" in text) is sees
    # the owner always sees their own details
    client.force_login(owner.user)
    profile = client.get(reverse("directory:professional", args=[owner.pk])).content.decode()
    assert PHONE in profile


def test_vcard_is_a_valid_card(client, owner, outsider):
    import vobject

    client.force_login(outsider)
    response = client.get(reverse("directory:professional_vcard", args=[owner.pk]))
    assert response["Content-Type"].startswith("text/vcard")
    card = vobject.readOne(response.content.decode())
    assert card.fn.value == "Sanne Claessens"
    assert card.tel.value == PHONE
    assert card.org.value == ["Schuldhulp Parkstad"]


@pytest.mark.parametrize(
    ("name", "family", "given"),
    [
        ("Jan van der Berg", "van der Berg", "Jan"),
        ("Sanne Claessens", "Claessens", "Sanne"),
        ("Anna de Vries", "de Vries", "Anna"),
        ("Piet van den Heuvel", "van den Heuvel", "Piet"),
        ("Kees in 't Veld", "in 't Veld", "Kees"),
        ("Mira ter Horst", "ter Horst", "Mira"),
        ("Madonna", "Madonna", ""),
    ],
)
def test_the_vcard_keeps_the_name_prefix_with_the_family_name(
    client, owner, outsider, name, family, given
):
    import vobject

    owner.user.display_name = name
    owner.user.save()
    client.force_login(outsider)
    response = client.get(reverse("directory:professional_vcard", args=[owner.pk]))
    card = vobject.readOne(response.content.decode())
    assert card.fn.value == name
    assert (card.n.value.family, card.n.value.given) == (family, given)


def test_the_vcard_names_the_first_organisation_by_name(client, owner, outsider):
    import vobject

    from directory.models import Membership

    for name, verified in [("Zorggroep Zuid", True), ("Amicura", False), ("Bekkerveld", True)]:
        Membership.objects.create(
            professional=owner, organisation=OrganisationFactory(name=name), verified=verified
        )
    client.force_login(outsider)
    response = client.get(reverse("directory:professional_vcard", args=[owner.pk]))
    card = vobject.readOne(response.content.decode())
    assert card.org.value == ["Bekkerveld"]  # not Amicura: that membership is not confirmed
