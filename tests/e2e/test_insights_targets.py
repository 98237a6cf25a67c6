from __future__ import annotations

import pytest
from playwright.sync_api import expect

from directory.models import Domain
from insights.models import ComputedQuarter, Figure, Metric
from tests.e2e.axe import axe_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_programme_manager_sets_a_target_writes_a_note_and_sees_the_status(
    live_asgi_server, browser_page, client
):
    for quarter, (total, debt) in (("2025Q4", (38, 6)), ("2026Q1", (45, 3))):
        ComputedQuarter.objects.create(quarter=quarter, final=True)
        for domain, value in (("", total), (Domain.DEBT, debt)):
            Figure.objects.create(
                quarter=quarter, metric=Metric.ACTIVE_PROFESSIONALS, domain=domain, value=value
            )
    server = f"http://{live_asgi_server}"
    client.force_login(
        UserFactory(display_name="Mark Programmamanager", roles=["programme_manager"])
    )
    page = browser_page
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server}]
    )
    page.goto(f"{server}/insights/")
    section = page.get_by_role("region", name="Doelen en toelichting")
    expect(section).to_contain_text("Voor deze kwartalen zijn nog geen doelen")
    section.get_by_role("link", name="Doelen instellen en toelichting schrijven").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Doelen en toelichting")
    page.get_by_role("navigation", name="Kwartalen").get_by_role("link", name="K1 2026").click()
    expect(page.get_by_role("heading", name="Doelen voor K1 2026")).to_be_visible()

    # a target below 5 is refused, in Dutch, beside the field
    # each field is labelled as its row in the dashboard's table, in a group named by the table
    group = page.get_by_role("group", name="Actieve professionals per domein")
    total = group.get_by_label("Alle domeinen")
    total.fill("4")
    group.get_by_label("Schulden en armoede").fill("10")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("alert")).to_contain_text("Niet opgeslagen")
    expect(page.locator("#id_active_professionals_error")).to_contain_text("Een doel is minstens 5")
    assert axe_violations(page) == []

    total.fill("40")
    page.get_by_label("Toelichting op het kwartaal").fill(
        "Het **wijkoverleg** in Hoensbroek trok nieuwe collega's."
    )
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".utrecht-alert--ok")).to_contain_text(
        "De doelen en toelichting voor K1 2026 zijn opgeslagen."
    )
    expect(total).to_have_value("40")

    page.get_by_role("link", name="Terug naar de inzichten voor de coalitie").click()
    quarter = section.get_by_role("region", name="K1 2026", exact=True)
    expect(quarter.locator("strong", has_text="wijkoverleg")).to_be_visible()
    expect(quarter).to_contain_text("Toelichting van Mark Programmamanager")
    table = quarter.get_by_role("table", name="K1 2026: cijfers tegenover doelen")
    row = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Actieve professionals", exact=True)
    )
    expect(row.get_by_role("cell")).to_have_text(["45", "40", "doel 40, gehaald"])
    # the debt domain's 3 stays hidden: the status says so instead of comparing
    debt = table.get_by_role("row", name="Actieve professionals: Schulden en armoede")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(debt.get_by_role("cell")).to_have_text(
        ["<5", "10", "doel 10; het cijfer is lager dan 5 en wordt niet vergeleken"]
    )
    # the older quarter without targets or note is not listed
    expect(section.get_by_role("region", name="K4 2025", exact=True)).to_have_count(0)
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page) == []
