"""Adoption per domain and neighbourhood, derived from the organisations' expected numbers."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from directory.models import Domain
from insights.models import ComputedQuarter, ReachFigure
from insights.quarters import Quarter
from insights.reach import Reach, build_reach, group_adoption, set_expected
from tests.factories import (
    DisciplineFactory,
    OrganisationFactory,
    ProfessionalFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Q2, Q3 = Quarter(2026, 2), Quarter(2026, 3)


def store(quarter: Quarter, **values) -> None:
    ComputedQuarter.objects.get_or_create(quarter=str(quarter), defaults={"final": True})
    ReachFigure.objects.create(quarter=str(quarter), **values)


def staffed(name: str, domain: str, *neighbourhoods):
    """An organisation serving ``neighbourhoods`` with a member in ``domain``."""
    organisation = OrganisationFactory(name=name, slug=name.lower().replace(" ", "-"))
    organisation.neighbourhoods.set(neighbourhoods)
    discipline = DisciplineFactory(name=f"Vak {domain}", domain=domain)
    ProfessionalFactory(organisation=organisation, disciplines=[discipline])
    return organisation


@pytest.fixture
def groups(hoensbroek, heerlen_noord):
    """Two practices (medical; one serves both neighbourhoods), a welfare organisation
    (social, Hoensbroek) without an expected number, and credit counsellors (debt, Heerlen
    Noord) with few active professionals in Q2: their 3 is hidden in the organisation table,
    and welfare's 5 beside it, the next smallest."""
    both = staffed("Praktijk Beide", Domain.MEDICAL, hoensbroek, heerlen_noord)
    south = staffed("Praktijk Zuid", Domain.MEDICAL, hoensbroek)
    welfare = staffed("Welzijn Samen", Domain.SOCIAL, hoensbroek)
    credit = staffed("Schuldhulp Parkstad", Domain.DEBT, heerlen_noord)
    set_expected(both, 20, None, Q2)
    set_expected(south, 10, None, Q2)
    set_expected(credit, 10, None, Q2)
    store(Q2, registered=60, verified=55, active=40)
    store(Q3, registered=60, verified=55, active=45)
    for quarter, actives in {Q2: (12, 6, 5, 3), Q3: (15, 8, 30, 6)}.items():
        for organisation, active in zip((both, south, welfare, credit), actives, strict=True):
            store(quarter, organisation=organisation, registered=40, verified=40, active=active)
    return {"both": both, "south": south, "welfare": welfare, "credit": credit}


def build() -> Reach:
    with translation.override("en"):
        return build_reach([Q2, Q3])


def rows(table) -> dict[str, list[str]]:
    return {label: cells for label, cells, _total in table.rows}


def test_adoption_per_domain_sums_the_organisations_with_an_expected_number(groups):
    domains = rows(build().table("reach-domain-adoption"))
    # medical: (12 + 6) of (20 + 10) in Q2, (15 + 8) of 30 in Q3
    assert domains["Medical"] == ["60%", "77%"]
    # welfare has no expected number: left out of the numerator too, so no percentage
    assert domains["Social"] == ["–", "–"]
    # Q2: the credit counsellors' 3 active are a small count: hidden, and so is the percentage
    assert domains["Debt and poverty"] == ["<5", "60%"]
    assert domains["Youth"] == ["–", "–"]


def test_an_organisation_in_two_neighbourhoods_counts_in_full_in_each(groups):
    neighbourhoods = rows(build().table("reach-neighbourhood-adoption"))
    # Hoensbroek: both practices (welfare left out): 18 of 30, then 23 of 30
    assert neighbourhoods["Hoensbroek"] == ["60%", "77%"]
    # Heerlen Noord: the practice in both with the credit counsellors; in Q2 their 3 is
    # hidden in the organisation table, and 15 of 30 would give it back (15 − 12)
    assert neighbourhoods["Heerlen Noord"] == ["<5", "70%"]


def test_a_group_percentage_is_hidden_where_an_organisations_count_is():
    counts = {1: (40, False), 2: (3, True)}
    assert group_adoption([1, 2], counts, {1: 50, 2: 10}) == "<5"
    # without its expected number the hidden one is left out, and the rest is shown
    assert group_adoption([1, 2], counts, {1: 50}) == "80%"
    # a sum below 5 is hidden even where no organisation's count is
    assert group_adoption([1], {1: (4, False)}, {1: 50}) == "<5"
    assert group_adoption([], counts, {1: 50}) == "–"


def test_the_dashboard_explains_the_rule_and_names_what_is_left_out(client, groups):
    client.force_login(UserFactory(roles=["programme_manager"]))
    page = client.get(reverse("insights:dashboard"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'id="reach-domain-adoption-table"' in page
    assert 'id="reach-neighbourhood-adoption-table"' in page
    assert "data-group-adoption-rule" in page and "in elk daarvan volledig" in page
    assert "Welzijn Samen." in page.split("data-left-out>")[1].split("</p>")[0]


def test_the_tables_export_as_csv(client, groups):
    client.force_login(UserFactory(roles=["programme_manager"]))
    url = reverse("insights:reach_export", args=["reach-neighbourhood-adoption"])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    assert "Hoensbroek;60%;77%" in response.content.decode() or "Hoensbroek,60%,77%" in (
        response.content.decode()
    )
