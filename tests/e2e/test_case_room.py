"""A coordinator opens a case room, records consent and invites a colleague; the colleague signs
in with two-factor authentication, joins, and they talk live. The access log shows both.

What cannot be undone (removing a member, withdrawing consent, closing) first shows a page that
names the consequences; confirmed, the colleague's open page stops at once and says why. New
consent after a withdrawal puts the room back in use, and the colleague is invited again."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from privacy import services
from privacy.models import CaseMember, CaseRoom
from tests.accounts.test_invitations import totp_now
from tests.e2e import BROWSER_TIME_ZONE, SHORT_MOMENT
from tests.e2e.axe import axe_violations
from tests.factories import OrganisationFactory
from tests.privacy.fixtures import professional, with_mfa

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 10_000  # ms: how long a live update may take to show
COORDINATOR_SECRET = "JBSWY3DPEHPK3PXP"
COLLEAGUE_SECRET = "KRSXG5CTMVRXEZLU"


_used_windows: dict[str, int] = {}


def fresh_code(secret: str) -> str:
    """A code allauth will accept: not one already used in its 30-second window (allauth refuses
    a code twice), and not so close to the window's end that it expires before it is checked."""
    while True:
        now = time.time()
        window = int(now) // 30
        if _used_windows.get(secret) != window and 30 - now % 30 > 3:
            _used_windows[secret] = window
            return totp_now(secret)
        time.sleep(30 - now % 30 + 0.2)


def sign_in(page: Page, server: str, email: str, password: str, secret: str) -> None:
    page.goto(f"{server}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("input[name=code]").fill(fresh_code(secret))
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(f"{server}/")


def test_coordinator_and_colleague_work_together_in_a_case_room(
    live_asgi_server, browser_page, password
):
    practice = OrganisationFactory(name="Huisartsenpraktijk Kasteelpark", slug="hp-kasteelpark")
    welfare = OrganisationFactory(name="Welzijn Samen Hoensbroek", slug="welzijn-samen")
    anouk = with_mfa(professional("Anouk Regie", practice), COORDINATOR_SECRET)
    mirjam = with_mfa(professional("Mirjam Welzijn", welfare), COLLEAGUE_SECRET)
    server = f"http://{live_asgi_server}"
    until = (timezone.localdate() + timedelta(days=365)).isoformat()

    # the coordinator opens a room and records consent
    coordinator = browser_page
    sign_in(coordinator, server, anouk.email, password, COORDINATOR_SECRET)
    coordinator.goto(f"{server}/cases/new/")
    coordinator.locator("input[name=pseudonym]").fill("Gezin K., Hoensbroek")
    coordinator.locator("textarea[name=purpose]").fill("Samen werken aan gezondheid en geldzorgen.")
    coordinator.locator("main form button[type=submit]").last.click()
    expect(coordinator).to_have_url(re.compile(r"/cases/\d+/consent/$"))
    room_url = coordinator.url.removesuffix("consent/")
    coordinator.locator("input[name=given_by][value=resident]").check()
    coordinator.locator("input[name=valid_until]").fill(until)
    coordinator.locator(f"input[name=organisations][value='{practice.pk}']").check()
    coordinator.locator(f"input[name=organisations][value='{welfare.pk}']").check()
    coordinator.locator("form:has(input[name=valid_until]) button[type=submit]").click()

    # ... and invites a colleague of a covered organisation
    expect(coordinator).to_have_url(re.compile(r"/cases/\d+/members/$"))
    coordinator.locator("select[name=user]").select_option(str(mirjam.pk))
    coordinator.locator("form:has(select[name=user]) button[type=submit]").click()
    expect(coordinator.locator("table")).to_contain_text("Mirjam Welzijn")

    # the colleague signs in with a TOTP code, sees the invitation and joins
    colleague_context = coordinator.context.browser.new_context(timezone_id=BROWSER_TIME_ZONE)
    colleague = colleague_context.new_page()
    try:
        sign_in(colleague, server, mirjam.email, password, COLLEAGUE_SECRET)
        colleague.goto(f"{server}/cases/")
        colleague.locator("a[href$='/join/']").click()
        colleague.locator("button[name=decision][value=accept]").click()
        expect(colleague).to_have_url(room_url)

        coordinator.goto(room_url)
        for page in (coordinator, colleague):
            expect(page.locator("[data-live-room]")).to_have_attribute(
                "data-connection", "live", timeout=LIVE
            )

        # they exchange messages live
        coordinator.locator("textarea[name=body]").fill(
            "Welkom Mirjam, zullen we donderdag bellen?"
        )
        coordinator.locator("[data-composer] button[type=submit]").click()
        expect(colleague.locator("[data-messages]")).to_contain_text(
            "zullen we donderdag bellen?", timeout=LIVE
        )
        colleague.locator("textarea[name=body]").fill("Prima, ik bel om tien uur.")
        colleague.locator("[data-composer] button[type=submit]").click()
        expect(coordinator.locator("[data-messages]")).to_contain_text(
            "ik bel om tien uur", timeout=LIVE
        )
        assert coordinator.url == room_url  # sent over the socket, not by a page load
        arrived = colleague.locator("[data-messages] li", has_text="zullen we donderdag bellen?")
        expect(arrived.locator("time")).to_have_text(re.compile(SHORT_MOMENT))
        live_time = arrived.locator("time").text_content()
        colleague.reload()  # the server writes the same moment the same way
        expect(arrived.locator("time")).to_have_text(live_time)
        expect(colleague.locator("[data-live-room]")).to_have_attribute(
            "data-connection", "live", timeout=LIVE
        )

        # the access log shows both of them
        coordinator.goto(f"{room_url}log/")
        log = coordinator.locator("table")
        expect(log).to_contain_text("Anouk Regie")
        expect(log).to_contain_text("Mirjam Welzijn")
        rows = log.locator("tbody tr")
        texts = rows.all_inner_texts()
        assert any("Mirjam Welzijn" in row and "berichten" in row.lower() for row in texts)

        # removing asks first, naming the consequences; nothing happens until confirmed
        coordinator.goto(f"{room_url}members/")
        coordinator.locator(f"form[action$='/members/{mirjam.pk}/remove/'] button").click()
        expect(coordinator).to_have_url(re.compile(rf"/members/{mirjam.pk}/remove/"))
        expect(coordinator.locator("[data-consequences]")).to_contain_text(
            "Mirjam Welzijn verliest meteen de toegang"
        )
        room = colleague.locator("[data-live-room]")
        expect(room).to_have_attribute("data-connection", "live")
        coordinator.locator("[data-confirm]").click()
        expect(coordinator).to_have_url(f"{room_url}members/")

        # removed from the room, the colleague's page stops at once and says why
        expect(room).to_have_attribute("data-connection", "ended", timeout=LIVE)
        expect(room.locator("[data-status]")).to_contain_text("geen toegang")
        # what was typed stays readable, nothing more can be sent
        expect(room.locator("[data-composer] textarea")).to_be_disabled()
    finally:
        colleague_context.close()
    assert CaseRoom.objects.get().messages.count() == 2


def _room_with_colleague(practice, welfare, anouk, mirjam) -> CaseRoom:
    room = services.create_room(
        by=anouk, pseudonym="Gezin K., Hoensbroek", purpose="Samen werken aan geldzorgen.",
        legal_ground="consent",
    )  # fmt: skip
    today = timezone.localdate()
    services.record_consent(
        room, by=anouk, given_by="resident", given_on=today,
        valid_until=today + timedelta(days=365), organisations=[practice, welfare],
    )  # fmt: skip
    services.invite(room, by=anouk, user=mirjam)
    services.respond(room, user=mirjam, accept=True)
    return room


def test_withdrawal_and_closing_are_confirmed_and_stop_the_colleague_at_once(
    live_asgi_server, browser_page, password
):
    practice = OrganisationFactory(name="Huisartsenpraktijk Kasteelpark", slug="hp-kasteelpark")
    welfare = OrganisationFactory(name="Welzijn Samen Hoensbroek", slug="welzijn-samen")
    anouk = with_mfa(professional("Anouk Regie", practice), COORDINATOR_SECRET)
    mirjam = with_mfa(professional("Mirjam Welzijn", welfare), COLLEAGUE_SECRET)
    room = _room_with_colleague(practice, welfare, anouk, mirjam)
    server = f"http://{live_asgi_server}"
    room_url = f"{server}/cases/{room.pk}/"

    coordinator = browser_page
    sign_in(coordinator, server, anouk.email, password, COORDINATOR_SECRET)
    colleague_context = coordinator.context.browser.new_context(timezone_id=BROWSER_TIME_ZONE)
    colleague = colleague_context.new_page()
    try:
        sign_in(colleague, server, mirjam.email, password, COLLEAGUE_SECRET)
        colleague.goto(room_url)
        live = colleague.locator("[data-live-room]")
        expect(live).to_have_attribute("data-connection", "live", timeout=LIVE)

        # the withdrawal asks first, in Dutch, naming who loses access; cancel changes nothing
        coordinator.goto(f"{room_url}consent/")
        coordinator.locator("form[action$='/consent/withdraw/'] button").click()
        expect(coordinator).to_have_url(re.compile(r"/consent/withdraw/"))
        consequences = coordinator.locator("[data-consequences]")
        expect(consequences).to_contain_text("Deze leden verliezen meteen hun toegang")
        expect(consequences).to_contain_text("Mirjam Welzijn")
        expect(coordinator.locator("main")).to_contain_text("Je kunt dit niet ongedaan maken")
        assert axe_violations(coordinator) == []
        coordinator.get_by_role("link", name="Annuleren").click()
        expect(coordinator).to_have_url(f"{room_url}consent/")
        expect(live).to_have_attribute("data-connection", "live")

        # confirmed: the colleague's page stops at once and says why
        coordinator.locator("form[action$='/consent/withdraw/'] button").click()
        coordinator.locator("[data-confirm]").click()
        expect(coordinator).to_have_url(f"{room_url}consent/")
        expect(live).to_have_attribute("data-connection", "ended", timeout=LIVE)
        expect(live.locator("[data-status]")).to_contain_text("toestemming is ingetrokken")
        expect(live.locator("[data-composer] textarea")).to_be_disabled()
        assert colleague.goto(room_url).status == 404
        assert colleague.goto(f"{server}/cases/{room.pk}/join/").status == 404

        # new consent puts the room back in use; the colleague is invited again and accepts
        until = (timezone.localdate() + timedelta(days=180)).isoformat()
        coordinator.locator("input[name=given_by][value=resident]").check()
        coordinator.locator("input[name=valid_until]").fill(until)
        coordinator.locator(f"input[name=organisations][value='{welfare.pk}']").check()
        coordinator.locator("form:has(input[name=valid_until]) button[type=submit]").click()
        expect(coordinator).to_have_url(f"{room_url}members/")
        coordinator.locator("[data-invite-again] button").click()
        expect(coordinator.locator("table")).to_contain_text("Mirjam Welzijn")
        colleague.goto(f"{server}/cases/")
        colleague.locator("a[href$='/join/']").click()
        colleague.locator("button[name=decision][value=accept]").click()
        expect(colleague).to_have_url(room_url)
        expect(live).to_have_attribute("data-connection", "live", timeout=LIVE)
        expect(live.locator("[data-composer]")).to_have_count(1)

        # closing asks first as well; confirmed, the colleague's page stops again
        coordinator.goto(f"{room_url}settings/")
        coordinator.locator("form[action$='/close/'] button").click()
        expect(coordinator.locator("[data-consequences]")).to_contain_text("Mirjam Welzijn")
        assert axe_violations(coordinator) == []
        coordinator.locator("[data-confirm]").click()
        expect(coordinator).to_have_url(room_url)
        expect(live).to_have_attribute("data-connection", "ended", timeout=LIVE)
        expect(live.locator("[data-status]")).to_contain_text("gesloten")
    finally:
        colleague_context.close()
    room.refresh_from_db()
    assert room.status == CaseRoom.Status.CLOSED
    assert CaseMember.objects.get(room=room, user=mirjam).status == CaseMember.Status.REMOVED
