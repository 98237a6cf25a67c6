from __future__ import annotations

import pytest
from playwright.sync_api import expect

from insights.models import ComputedQuarter, ReachFigure
from insights.quarters import Quarter
from insights.reach import set_expected
from tests.e2e.axe import axe_violations
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(page, client, server, roles):
    client.force_login(UserFactory(roles=roles))
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server}]
    )


def test_a_programme_manager_reads_reach_and_enters_an_expected_number(
    live_asgi_server, browser_page, client
):
    practice = OrganisationFactory(name="Huisartsenpraktijk Kasteelpark", slug="hp-kasteelpark")
    credit = OrganisationFactory(name="Schuldhulp Parkstad", slug="schuldhulp-parkstad")
    set_expected(practice, 20, None, Quarter(2026, 2))
    for quarter, (total, p, c) in {"2026Q2": (30, 14, 3), "2026Q3": (40, 18, 6)}.items():
        ComputedQuarter.objects.create(quarter=quarter, final=True)
        ReachFigure.objects.create(
            quarter=quarter, registered=total, verified=total - 6, active=total // 2,
            active_four_quarters=total - 4,
        )  # fmt: skip
        ReachFigure.objects.create(
            quarter=quarter, organisation=practice, registered=p, verified=p, active=p - 4
        )
        ReachFigure.objects.create(
            quarter=quarter, organisation=credit, registered=c, verified=c, active=c - 1
        )
    server = f"http://{live_asgi_server}"
    page = browser_page
    _signed_in(page, client, server, ["programme_manager"])
    page.goto(f"{server}/insights/")
    section = page.get_by_role("region", name="Bereik: doen de professionals uit de wijken mee?")
    expect(section).to_be_visible()
    table = section.get_by_role("table", name="Bereik per organisatie, K3 2026")
    expect(table.get_by_role("columnheader", name="Actief van verwacht")).to_be_visible()
    row = table.get_by_role("row", name="Huisartsenpraktijk Kasteelpark")
    expect(row.get_by_role("cell")).to_have_text(["20", "18", "18", "14", "90%", "70%"])
    # the counsellors' 5 active are the complement of nothing: shown; their 3 in Q2 hidden
    trend = section.get_by_role("table", name="Actieve professionals als percentage")
    expect(trend.get_by_role("row", name="Schuldhulp Parkstad").get_by_role("cell")).to_have_text(
        ["<5", "–"]
    )
    expect(section.locator("[data-suppression-rule]")).to_contain_text("laatste vier kwartalen")
    assert axe_violations(page) == []

    field = section.get_by_role("spinbutton", name="Schuldhulp Parkstad")
    field.fill("8")
    section.get_by_role("button", name="Verwachte aantallen opslaan").click()
    expect(page.get_by_text("Het verwachte aantal van 1 organisatie is opgeslagen")).to_be_visible()
    expect(section.get_by_role("spinbutton", name="Schuldhulp Parkstad")).to_have_value("8")

    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page) == []


def test_a_platform_administrator_reads_reach_without_the_form(
    live_asgi_server, browser_page, client
):
    ComputedQuarter.objects.create(quarter="2026Q3", final=True)
    ReachFigure.objects.create(quarter="2026Q3", registered=40, verified=33, active=21)
    server = f"http://{live_asgi_server}"
    page = browser_page
    _signed_in(page, client, server, ["platform_admin"])
    page.goto(f"{server}/insights/")
    section = page.get_by_role("region", name="Bereik: doen de professionals uit de wijken mee?")
    expect(section.get_by_role("table", name="Bereik per wijk, K3 2026")).to_be_visible()
    expect(section.get_by_role("button", name="Verwachte aantallen opslaan")).to_have_count(0)
