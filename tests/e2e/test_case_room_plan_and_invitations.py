"""What a coordinator and a member see of the invitation picker, the invitation notification and
the plan's edit and remove, in Chromium; axe finds no serious problem on any of those pages."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from privacy import services
from privacy.models import AccessLogEntry, Agreement, Goal
from tests.e2e import LIVE
from tests.e2e.axe import axe_violations
from tests.privacy.fixtures import CaseRoomWorld, build_world, mark_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@dataclass
class Setting:
    world: CaseRoomWorld
    server: str

    def url(self, name: str) -> str:
        return f"{self.server}/cases/{self.world.room.pk}/{name}"


def _signed_in(page: Page, user: User, server: str) -> None:
    """A session with a recent second-factor step, as case rooms ask."""
    client = Client()
    client.force_login(user)
    mark_signed_in(client, user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": value,
                               "url": server}])  # fmt: skip


@pytest.fixture
def setting(transactional_db, live_asgi_server) -> Setting:
    return Setting(build_world(), f"http://{live_asgi_server}")


def _no_axe_problems(page: Page) -> None:
    assert axe_violations(page) == [], page.url


def test_the_picker_offers_whom_the_consent_covers_and_the_invitee_is_told_live(
    setting, browser_page
):
    world, server = setting.world, setting.server
    coordinator = browser_page
    _signed_in(coordinator, world.coordinator, server)
    invitee_context = coordinator.context.browser.new_context(viewport={"width": 390,
                                                                        "height": 844})  # fmt: skip
    invitee = invitee_context.new_page()
    try:
        _signed_in(invitee, world.outsider, server)
        invitee.goto(f"{server}/channels/notifications/")
        expect(invitee.locator("body")).to_have_attribute("data-connection", "live", timeout=LIVE)
        expect(invitee.locator("[data-no-notifications]")).to_be_visible()

        coordinator.goto(setting.url("members/"))
        picker = coordinator.get_by_role("combobox", name="Professional")
        options = picker.locator("option")
        expect(options).to_have_text(["Kies een professional",
                                      "Otto Buiten (Welzijn Samen Hoensbroek)"])  # fmt: skip
        # members and whoever the consent does not cover are not offered
        expect(picker).not_to_contain_text("Mirjam Welzijn")
        expect(picker).not_to_contain_text("Floor Fysio")
        _no_axe_problems(coordinator)

        # sent without a choice, the field says what is wrong
        coordinator.get_by_role("button", name="Uitnodiging versturen").click()
        expect(coordinator.get_by_role("combobox", name="Professional")).to_have_attribute(
            "aria-invalid", "true"
        )
        _no_axe_problems(coordinator)

        coordinator.get_by_role("combobox", name="Professional").select_option(
            label="Otto Buiten (Welzijn Samen Hoensbroek)"
        )
        coordinator.get_by_role("button", name="Uitnodiging versturen").click()
        expect(coordinator.locator("table")).to_contain_text("Otto Buiten")
        expect(coordinator.locator("[data-nobody-to-invite]")).to_contain_text(
            "Iedereen voor wie de toestemming geldt"
        )

        # the invitee's open page lists it at once, naming no room
        item = invitee.locator("[data-notifications] > li")
        expect(item).to_have_count(1, timeout=LIVE)
        expect(item.locator("button")).to_contain_text(
            "Anouk Regie heeft je uitgenodigd voor een casusruimte"
        )
        expect(invitee.locator("main")).not_to_contain_text("Gezin K")
        badge = invitee.locator(".wijk-header__notifications .wijk-notification-badge")
        expect(badge).to_contain_text("1")
        _no_axe_problems(invitee)

        # opening it shows the invitation
        item.locator("button").click()
        expect(invitee).to_have_url(setting.url("join/"))
        expect(invitee.locator("main")).to_contain_text("Anouk Regie")
        _no_axe_problems(invitee)
    finally:
        invitee_context.close()


def test_a_member_edits_and_removes_plan_items(setting, browser_page):
    world, server = setting.world, setting.server
    goal = services.add_goal(world.room, by=world.coordinator, title="Rust in de financiën")
    services.add_agreement(world.room, by=world.coordinator, description="Budgetplan opstellen",
                           due_date=timezone.localdate(), owner=world.member,
                           goal=goal)  # fmt: skip
    page = browser_page
    _signed_in(page, world.member, server)
    page.goto(setting.url("plan/"))
    _no_axe_problems(page)

    # the goal, edited: an empty title is refused on its field
    page.get_by_role("link", name="Bewerken Rust in de financiën").click()
    expect(page).to_have_url(re.compile(rf"/plan/goal/{goal.pk}/edit/$"))
    title = page.get_by_label("Doel", exact=True)
    expect(title).to_have_value("Rust in de financiën")
    title.fill("")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_label("Doel", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("main")).to_contain_text("Dit veld is verplicht")
    _no_axe_problems(page)
    page.get_by_label("Doel", exact=True).fill("Grip op geld")
    page.get_by_role("button", name="Opslaan").click()
    expect(page).to_have_url(re.compile(rf"/plan/#goal-{goal.pk}$"))
    expect(page.get_by_role("heading", level=3, name=re.compile("Grip op geld"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("Je wijzigingen zijn opgeslagen.")

    # the agreement, removed after a page that says what that means
    page.get_by_role("button", name="Verwijderen Budgetplan opstellen").click()
    expect(page.locator("[data-consequences]")).to_contain_text("verdwijnt voor alle deelnemers")
    _no_axe_problems(page)
    page.locator("[data-confirm]").click()
    expect(page).to_have_url(setting.url("plan/"))
    expect(page.locator("main")).not_to_contain_text("Budgetplan opstellen")
    assert not Agreement.objects.exists()
    assert Goal.objects.get().title == "Grip op geld"
    logged = AccessLogEntry.objects.filter(room_id_ref=world.room.pk, user_id_ref=world.member.pk)
    assert logged.filter(action="update", object_type="goal", detail="edited").exists()
    assert logged.filter(action="delete", object_type="agreement").exists()
