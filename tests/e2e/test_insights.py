from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from directory.models import Domain
from insights.models import ComputedQuarter, Figure, Metric
from tests.e2e.axe import axe_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_programme_manager_sees_a_chart_with_its_table(live_asgi_server, browser_page, client):
    # every domain active: only debt's 3 in Q1 is small, and youth's 6 is hidden beside it
    others = {Domain.SOCIAL: 8, Domain.MENTAL_HEALTH: 7, Domain.YOUTH: 6, Domain.ELDERLY_CARE: 9}
    for number, (total, medical, debt) in enumerate([(50, 11, 3), (56, 14, 6), (61, 15, 9)], 1):
        quarter = f"2026Q{number}"
        ComputedQuarter.objects.create(quarter=quarter, final=True)
        counts = {"": total, Domain.MEDICAL: medical, Domain.DEBT: debt, **others}
        for domain, value in counts.items():
            Figure.objects.create(
                quarter=quarter, metric=Metric.ACTIVE_PROFESSIONALS, domain=domain, value=value
            )
    client.force_login(UserFactory(roles=["programme_manager"]))
    page = browser_page
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": f"http://{live_asgi_server}",
            }
        ]
    )
    page.goto(f"http://{live_asgi_server}/")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Inzichten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inzichten voor de coalitie")

    chart = page.get_by_role("img", name="Actieve professionals per domein per kwartaal")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 300
    # a line for the total and each domain; debt's and youth's start after their hidden Q1
    assert chart.locator("polyline").count() == 7
    expect(page.get_by_text("Schulden en armoede").first).to_be_visible()

    table = page.get_by_role("table", name="Actieve professionals per domein: de cijfers")
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader", name="K3 2026")).to_be_visible()
    debt = table.get_by_role("row", name="Schulden en armoede")
    expect(debt.get_by_role("cell")).to_have_text(["<5", "6", "9"])


def _signed_in_manager(page, client, server):
    client.force_login(UserFactory(roles=["programme_manager"]))
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server}]
    )


def test_the_running_quarter_reads_as_provisional_and_hidden_values_as_gaps(
    live_asgi_server, browser_page, client
):
    quarters = [("2025Q3", (31, 15, 9), True), ("2025Q4", (38, 17, 3), True),
                ("2026Q1", (12, 6, 2), False)]  # fmt: skip
    for quarter, (total, medical, debt), final in quarters:
        ComputedQuarter.objects.create(quarter=quarter, final=final)
        for domain, value in (("", total), (Domain.MEDICAL, medical), (Domain.DEBT, debt)):
            Figure.objects.create(
                quarter=quarter, metric=Metric.ACTIVE_PROFESSIONALS, domain=domain, value=value
            )
    server = f"http://{live_asgi_server}"
    page = browser_page
    _signed_in_manager(page, client, server)
    page.goto(f"{server}/insights/")
    section = page.get_by_role("region", name="Actieve professionals per domein", exact=True)

    # the table: the running quarter's heading says "voorlopig", and a note says what it means
    table = section.get_by_role("table")
    expect(table.get_by_role("columnheader", name="K1 2026 voorlopig")).to_be_visible()
    expect(table.get_by_role("columnheader", name="K4 2025")).to_be_visible()
    expect(section.locator("[data-provisional-note]")).to_contain_text(
        "K1 2026 is voorlopig: het kwartaal was nog niet voorbij"
    )

    # the chart: a band marked "voorlopig" behind that quarter, its points hollow
    chart = section.get_by_role("img", name=re.compile("Actieve professionals per domein"))
    band = chart.locator("[data-provisional]")
    expect(band).to_have_count(1)
    expect(band.locator("text")).to_have_text("voorlopig")
    # the total only: medical's 6 is hidden beside debt's 2 (and the empty domains)
    expect(chart.locator("[data-provisional-marker]")).to_have_count(1)
    box, label = band.locator("rect").bounding_box(), chart.locator("text", has_text="K1 2026")
    label_box = label.bounding_box()
    assert box["x"] < label_box["x"] + label_box["width"] / 2 < box["x"] + box["width"]

    # suppressed values: each a labelled "<5" gap, none a point
    gaps = chart.locator("[data-gap]")
    # one per quarter: the four domains without a figure (0), debt in 2025Q4 and 2026Q1, and
    # medical beside it there
    expect(gaps).to_have_count(3)
    expect(gaps.locator("text")).to_have_text(["<5"] * 3)
    expect(gaps.locator("path")).to_have_count(4 * 3 + 2 + 2)
    expect(section.get_by_text("minder dan 5: niet getekend")).to_be_visible()
    debt = table.get_by_role("row", name="Schulden en armoede")
    expect(debt.get_by_role("cell")).to_have_text(["9", "<5", "<5"])

    assert axe_violations(page) == []
    # on a phone the chart keeps readable labels and scrolls sideways, by keyboard too
    page.set_viewport_size({"width": 390, "height": 844})
    svg = chart.bounding_box()
    assert svg["width"] >= 36 * 16 - 1
    scroller = section.get_by_role("region", name=re.compile("per kwartaal"))
    scroller.focus()
    page.keyboard.press("ArrowRight")
    expect(scroller).not_to_have_js_property("scrollLeft", 0)
    assert axe_violations(page) == []
