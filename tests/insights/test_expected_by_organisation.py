"""An organisation's administrators enter their own organisation's expected number."""

from __future__ import annotations

import pytest
from django.urls import reverse

from directory.models import Membership
from insights.models import ExpectedHeadcount
from insights.quarters import Quarter
from insights.reach import expected_numbers, set_expected
from tests.factories import OrganisationFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def welfare(db):
    return OrganisationFactory(name="Welzijn Samen", slug="welzijn-samen")


@pytest.fixture
def others(db):
    return OrganisationFactory(name="Schuldhulp Parkstad", slug="schuldhulp-parkstad")


@pytest.fixture
def owner(welfare):
    """The organisation's administrator."""
    return ProfessionalFactory(organisation=welfare, organisation__role=Membership.Role.ADMIN).user


@pytest.fixture
def member(welfare):
    return ProfessionalFactory(organisation=welfare).user


@pytest.fixture
def outsider(others):
    """Another organisation's administrator."""
    return ProfessionalFactory(organisation=others, organisation__role=Membership.Role.ADMIN).user


def url(organisation) -> str:
    return reverse("insights:organisation_expected", args=[organisation.slug])


def field(organisation) -> str:
    return f"expected-{organisation.pk}"


def applying(organisation) -> int | None:
    current = Quarter.current()
    return expected_numbers([current]).get((organisation.pk, str(current)))


def test_the_administrator_sets_the_number_from_this_quarter_on(client, owner, welfare):
    client.force_login(owner)
    page = client.get(url(welfare))
    assert page.status_code == 200
    assert f'name="{field(welfare)}"' in page.content.decode()
    response = client.post(url(welfare), {field(welfare): "24"})
    assert response.status_code == 302
    assert applying(welfare) == 24
    entry = ExpectedHeadcount.objects.get(organisation=welfare)
    assert (entry.quarter, entry.updated_by) == (str(Quarter.current()), owner)
    assert 'value="24"' in client.get(url(welfare)).content.decode()
    # the members page leads there
    members = client.get(reverse("directory:organisation_members", args=[welfare.slug]))
    assert f'href="{url(welfare)}"' in members.content.decode()


def test_an_earlier_quarter_keeps_its_number(client, owner, welfare):
    earlier = Quarter.current().previous()
    set_expected(welfare, 10, None, earlier)
    client.force_login(owner)
    client.post(url(welfare), {field(welfare): "14"})
    numbers = expected_numbers([earlier, Quarter.current()])
    assert numbers[welfare.pk, str(earlier)] == 10
    assert numbers[welfare.pk, str(Quarter.current())] == 14


@pytest.mark.parametrize("value", ["-3", "abc", "100001"])
def test_a_wrong_number_is_refused_with_a_field_error(client, owner, welfare, value):
    client.force_login(owner)
    response = client.post(url(welfare), {field(welfare): value})
    assert response.status_code == 400
    assert field(welfare) in response.context["form"].errors
    assert not ExpectedHeadcount.objects.exists()


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_a_member_or_another_organisations_administrator_gets_404(client, request, welfare, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(welfare)).status_code == 404
    assert client.post(url(welfare), {field(welfare): "50"}).status_code == 404
    assert not ExpectedHeadcount.objects.exists()


def test_an_administrator_sets_only_their_own_organisations_number(client, owner, welfare, others):
    client.force_login(owner)
    # a field for another organisation in the same post is not read
    client.post(url(welfare), {field(welfare): "9", field(others): "70"})
    assert applying(welfare) == 9
    assert applying(others) is None


def test_anonymous_visitors_are_sent_to_sign_in(client, welfare):
    response = client.get(url(welfare))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_unknown_organisation_is_not_found(client, owner):
    client.force_login(owner)
    assert client.get("/insights/reach/organisations/nobody/").status_code == 404
