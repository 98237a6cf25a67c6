from __future__ import annotations

import pytest
from playwright.sync_api import expect

from directory.models import Domain
from insights.models import ComputedQuarter, Figure, Metric
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_programme_manager_sees_a_chart_with_its_table(live_asgi_server, browser_page, client):
    for number, (total, medical, debt) in enumerate([(20, 11, 3), (26, 14, 6), (31, 15, 9)], 1):
        quarter = f"2026Q{number}"
        ComputedQuarter.objects.create(quarter=quarter, final=True)
        for domain, value in (("", total), (Domain.MEDICAL, medical), (Domain.DEBT, debt)):
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
    # three quarters of the total and of the medical domain drawn, the suppressed debt value not
    assert chart.locator("polyline").count() == 3
    expect(page.get_by_text("Schulden en armoede").first).to_be_visible()

    table = page.get_by_role("table", name="Actieve professionals per domein: de cijfers")
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader", name="K3 2026")).to_be_visible()
    debt = table.get_by_role("row", name="Schulden en armoede")
    expect(debt.get_by_role("cell")).to_have_text(["<5", "6", "9"])
