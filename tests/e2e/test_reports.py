"""Reporting a message in a direct conversation, and a platform moderator removing it, in
Chromium: the reader reports from the message, the moderator sees the reported message only,
confirms, and the message disappears live on the reader's open page.

Set ``SCREENSHOT_DIR`` to keep screenshots of each step at 1366 and 390 pixels wide.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from channels_app import services
from channels_app.models import ModerationEntry, Report
from tests.e2e import BROWSER_TIME_ZONE
from tests.factories import ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 10_000  # ms


def _cookie(user, server: str) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server}


def _shoot(page: Page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if not folder:
        return
    size = page.viewport_size
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(size)


def test_a_reported_message_is_removed_by_a_platform_moderator(
    transactional_db, live_asgi_server, browser_page
):
    anna = ProfessionalFactory(user=UserFactory(display_name="Anna Huisarts")).user
    bert = ProfessionalFactory(user=UserFactory(display_name="Bert Schuldhulp")).user
    admin = UserFactory(display_name="Bea Beheer", roles=["platform_admin"])
    channel = services.direct_channel(by=anna, others=[bert])
    services.post_message(channel.pk, author=bert, body="Doe niet zo **moeilijk**, sukkel.")
    services.post_message(channel.pk, author=anna, body="Een bericht dat niemand meldt")
    server = f"http://{live_asgi_server}"

    reader = browser_page
    reader.context.add_cookies([_cookie(anna, server)])
    reader.goto(f"{server}/channels/{channel.pk}/")
    row = reader.locator(".wijk-message", has_text="sukkel")
    row.hover()
    row.get_by_label("Meer acties").click()  # the message's menu
    row.get_by_role("link", name="Melden").click()
    expect(reader.get_by_role("heading", name="Bericht melden")).to_be_visible()
    reader.get_by_role("button", name="Melding versturen").click()
    expect(reader.locator("#id_reason")).to_have_attribute("aria-invalid", "true")
    _shoot(reader, "report-form")
    reader.get_by_label("Wat is er mis met dit bericht?").fill("Scheldwoord naar een collega")
    reader.get_by_role("button", name="Melding versturen").click()
    expect(reader.get_by_text("Bedankt. De moderatoren zijn ingelicht.")).to_be_visible()
    expect(reader.locator(".wijk-message", has_text="sukkel")).to_be_visible()

    moderator_context = reader.context.browser.new_context(
        viewport={"width": 1366, "height": 900}, timezone_id=BROWSER_TIME_ZONE
    )
    moderator_context.add_cookies([_cookie(admin, server)])
    moderator = moderator_context.new_page()
    try:
        moderator.goto(f"{server}/channels/notifications/")
        moderator.get_by_role("button", name="meldde een bericht").click()
        expect(moderator.get_by_role("heading", name="Gemeld bericht")).to_be_visible()
        reported = moderator.locator("[data-reported-message]")
        expect(reported.locator("strong")).to_have_text("moeilijk")
        expect(moderator.get_by_text("Scheldwoord naar een collega")).to_be_visible()
        expect(moderator.get_by_text("niemand meldt")).to_have_count(0)
        _shoot(moderator, "report-detail")
        moderator.get_by_role("button", name="Bericht verwijderen…").click()
        expect(moderator.get_by_role("heading", name="Dit bericht verwijderen?")).to_be_visible()
        _shoot(moderator, "report-confirm")
        moderator.get_by_role("button", name="Bericht verwijderen", exact=True).click()
        expect(moderator.get_by_text("Het bericht is verwijderd.")).to_be_visible()
        expect(moderator.locator("[data-moderation-log] li")).to_have_count(3)
        moderator.goto(f"{server}/channels/reports/?status=handled")
        expect(moderator.get_by_role("cell", name="Bericht verwijderd")).to_be_visible()
        _shoot(moderator, "reports-handled")
    finally:
        moderator_context.close()

    # the reader's open page shows the removal without a reload
    expect(reader.locator(".wijk-message--deleted")).to_have_count(1, timeout=LIVE)
    expect(reader.get_by_text("sukkel")).to_have_count(0)
    report = Report.objects.get()
    assert (report.outcome, report.resolved_by_id) == ("removed", admin.pk)
    # opened, removed, and shown again after the decision
    assert list(ModerationEntry.objects.values_list("action", flat=True)) == [
        "viewed",
        "removed",
        "viewed",
    ]
