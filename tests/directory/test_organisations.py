from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from directory.models import Membership, Organisation, Professional
from tests.factories import ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation(town):
    return Organisation.objects.get(slug="schuldhulp-parkstad")


@pytest.fixture
def org_admin(organisation):
    return ProfessionalFactory(organisation=organisation, organisation__role="admin").user


def test_a_newcomer_asks_to_join_and_the_admin_confirms(client, organisation, org_admin):
    newcomer = UserFactory(display_name="Nieuwe Collega")
    client.force_login(newcomer)
    response = client.post(
        reverse("directory:membership_request"), {"organisation": organisation.pk}
    )
    assert response.status_code == HTTPStatus.FOUND
    membership = Membership.objects.get(professional__user=newcomer)
    assert not membership.verified
    assert client.get(reverse("directory:index")).status_code == HTTPStatus.FORBIDDEN

    client.force_login(org_admin)
    page = client.get(reverse("directory:organisation_members", args=[organisation.slug]))
    assert "Nieuwe Collega" in page.content.decode()
    url = reverse("directory:membership_action", args=[organisation.slug, membership.pk, "approve"])
    assert client.post(url).status_code == HTTPStatus.FOUND
    membership.refresh_from_db()
    assert membership.verified and membership.verified_by == org_admin
    assert Professional.objects.get(user=newcomer).verified

    client.force_login(newcomer)
    assert client.get(reverse("directory:index")).status_code == HTTPStatus.OK


def test_the_admin_removes_a_member_who_then_disappears(client, town, organisation, org_admin):
    counsellor = town["counsellor"]
    membership = counsellor.memberships.get()
    client.force_login(org_admin)
    url = reverse("directory:membership_action", args=[organisation.slug, membership.pk, "remove"])
    client.post(url)
    counsellor.refresh_from_db()
    assert not counsellor.verified
    response = client.get(reverse("directory:index"), {"q": "Claessens"})
    assert [p.user.display_name for p in response.context["page"].object_list] == []


def test_outsiders_and_members_cannot_manage(client, town, organisation):
    membership = town["unverified"].memberships.get()
    member = town["counsellor"].user  # verified member, not an admin
    outsider = town["gp"].user
    for person in [member, outsider]:
        client.force_login(person)
        assert (
            client.get(
                reverse("directory:organisation_members", args=[organisation.slug])
            ).status_code
            == HTTPStatus.NOT_FOUND
        )
        assert (
            client.get(reverse("directory:organisation_edit", args=[organisation.slug])).status_code
            == HTTPStatus.NOT_FOUND
        )
        url = reverse(
            "directory:membership_action", args=[organisation.slug, membership.pk, "approve"]
        )
        assert client.post(url).status_code == HTTPStatus.NOT_FOUND
    membership.refresh_from_db()
    assert not membership.verified


def test_the_admin_edits_the_organisation_with_field_errors(client, organisation, org_admin):
    client.force_login(org_admin)
    url = reverse("directory:organisation_edit", args=[organisation.slug])
    response = client.post(url, {"name": "", "postcode": "12", "email": "nope", "website": "x"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert {"name", "postcode", "email"} <= set(response.context["form"].errors)
    organisation.refresh_from_db()
    assert organisation.name == "Schuldhulp Parkstad"
    response = client.post(url, {"name": "Schuldhulp Parkstad Noord", "postcode": "6432ab"})
    assert response.status_code == HTTPStatus.FOUND
    organisation.refresh_from_db()
    assert (organisation.name, organisation.postcode) == ("Schuldhulp Parkstad Noord", "6432 AB")


def test_the_only_admin_cannot_remove_themselves(client, organisation, org_admin):
    membership = org_admin.professional.memberships.get()
    client.force_login(org_admin)
    url = reverse("directory:membership_action", args=[organisation.slug, membership.pk, "remove"])
    client.post(url)
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_the_only_admin_cannot_make_themselves_a_member(client, town, organisation, org_admin):
    membership = org_admin.professional.memberships.get()
    client.force_login(org_admin)
    url = reverse(
        "directory:membership_action", args=[organisation.slug, membership.pk, "make-member"]
    )
    response = client.post(url, follow=True)
    membership.refresh_from_db()
    assert membership.role == Membership.Role.ADMIN
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    # with a second administrator, stepping down is fine
    colleague = town["counsellor"].memberships.get()
    colleague.role = Membership.Role.ADMIN
    colleague.save()
    response = client.post(url, follow=True)
    membership.refresh_from_db()
    assert membership.role == Membership.Role.MEMBER
    assert [m.level_tag for m in response.context["messages"]] == ["success"]


def test_the_organisation_page_lists_only_verified_members(client, town, organisation):
    client.force_login(town["gp"].user)
    html = client.get(reverse("directory:organisation", args=[organisation.slug])).content.decode()
    assert "Sanne Claessens" in html
    assert "Noor Nieuwenhuis" not in html


def test_the_social_map_groups_organisations_by_theme(client, town, organisation, hoensbroek):
    from directory.models import ServiceTheme

    theme = ServiceTheme.objects.create(name="Schulden en geld", slug="schulden-en-geld")
    organisation.services.add(theme)
    organisation.neighbourhoods.add(hoensbroek)
    client.force_login(town["gp"].user)
    response = client.get(reverse("directory:social_map"), {"neighbourhood": "hoensbroek"})
    listed = {t.slug: [o.name for o in t.listed] for t in response.context["themes"]}
    assert listed == {"schulden-en-geld": ["Schuldhulp Parkstad"]}
    response = client.get(reverse("directory:social_map"), {"neighbourhood": "heerlen-noord"})
    assert {t.slug: list(t.listed) for t in response.context["themes"]} == {"schulden-en-geld": []}
