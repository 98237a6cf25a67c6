"""axe-core on every page of the platform, in Chromium: no serious or critical WCAG 2.1 AA problem.

The pages come from the access matrix (``tests/security``), which is generated from the URLconf:
every route that answers a page (HTML, status 200) to one of its personas is opened as that
persona, so a new page is checked as soon as it is in the matrix. Case-room pages, whose matrix
lives in ``tests/privacy``, are opened by their coordinator and privacy officer. A few pages are
checked in English as well, and the 404 page. On a phone, the same pages must fit the screen's
width and every control on them must be big enough to tap (``tests/e2e/targets.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from privacy import services as case_services
from tests.e2e.axe import axe_violations
from tests.e2e.targets import MINIMUM, small_targets
from tests.privacy.fixtures import build_world as build_case_world
from tests.privacy.fixtures import mark_signed_in
from tests.security.test_access_matrix import CASES, EXPECTED, build_matrix_world
from tests.security.test_access_matrix import PERSONAS as MATRIX_PERSONAS
from tests.security.world import PERSONAS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: whom a page is opened as, when several personas may see it: the richest view first
PREFERENCE = ("member", "moderator", "trainer", "admin", "coordinator", "outsider",
              "privacy_officer", "unverified", "anonymous")  # fmt: skip


@dataclass(frozen=True)
class Page:
    label: str
    url: str
    #: session cookie value, or "" for anonymous
    session: str
    language: str = "nl"


def _session(user, *, strong: bool = False) -> str:
    if user is None:
        return ""
    client = Client()
    client.force_login(user)
    if strong:
        mark_signed_in(client, user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _is_html_page(page: Page) -> bool:
    client = Client()
    if page.session:
        client.cookies[settings.SESSION_COOKIE_NAME] = page.session
    response = client.get(page.url)
    return response.status_code == 200 and response["Content-Type"].startswith("text/html")


def _matrix_pages() -> list[Page]:
    world = build_matrix_world()
    sessions = {persona: _session(world.users[persona]) for persona in PERSONAS}
    pages = []
    for name, route, method in CASES:
        if method != "get":
            continue
        allowed = dict(zip(MATRIX_PERSONAS, EXPECTED[name, route.target, "get"], strict=True))
        persona = next((p for p in PREFERENCE if allowed[p] == "O"), None)
        if persona is None:
            continue
        label = f"{name}{' (' + route.target + ')' if route.target else ''} as {persona}"
        pages.append(Page(label, reverse(name, kwargs=route.kwargs(world)), sessions[persona]))
    # the same person sees a different home page before verification, and the 404 page
    pages.append(Page("home as unverified", reverse("home"), sessions["unverified"]))
    pages.append(Page("404 as member", "/bestaat-niet/", sessions["member"]))
    for label, url in [
        ("home", reverse("home")),
        ("directory", reverse("directory:index")),
        ("channel", reverse("channels_app:channel", args=[world.closed.pk])),
    ]:
        pages.append(Page(f"{label} in English", url, sessions["member"], "en"))  # fmt: skip
    return pages


def _case_room_pages() -> list[Page]:
    world = build_case_world()
    room = world.room.pk
    coordinator = _session(world.coordinator, strong=True)
    officer = _session(world.privacy_officer, strong=True)
    urls = [
        ("privacy:index", {}), ("privacy:create", {}), ("privacy:room", {"pk": room}),
        ("privacy:members", {"pk": room}), ("privacy:consent", {"pk": room}),
        ("privacy:settings", {"pk": room}), ("privacy:plan", {"pk": room}),
        ("privacy:health", {"pk": room}), ("privacy:log", {"pk": room}),
        ("privacy:report", {"pk": room}),
    ]  # fmt: skip
    pages = [Page(f"{name} as coordinator", reverse(name, kwargs=kwargs), coordinator)
             for name, kwargs in urls]  # fmt: skip
    pages.append(Page("privacy:search as coordinator",
                      reverse("privacy:search", args=[room]) + "?q=plan", coordinator))  # fmt: skip
    pages.append(Page("privacy:all_logs as privacy officer", reverse("privacy:all_logs"), officer))
    goal = case_services.add_goal(world.room, by=world.coordinator, title="Rust in de financiën")
    for name in ("privacy:plan_edit", "privacy:plan_remove"):
        url = reverse(name, args=[room, "goal", goal.pk])
        pages.append(Page(f"{name} as coordinator", url, coordinator))
    return pages


def _audit(pages: list[Page], server: str, browser_page) -> dict[str, list[str]]:
    context = browser_page.context
    problems: dict[str, list[str]] = {}
    for page in pages:
        context.clear_cookies()
        cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": page.language, "url": server}]
        if page.session:
            cookies.append(
                {"name": settings.SESSION_COOKIE_NAME, "value": page.session, "url": server}
            )
        context.add_cookies(cookies)
        browser_page.goto(server + page.url, wait_until="load")
        found = axe_violations(browser_page)
        if found:
            problems[f"{page.label}: {page.url}"] = found
    return problems


def _report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}\n  " + "\n  ".join(found) for where, found in problems.items())


@pytest.fixture
def matrix_pages(transactional_db) -> list[Page]:
    # built before the browser starts: Playwright's event loop would refuse the ORM
    return [page for page in _matrix_pages() if _is_html_page(page)]


@pytest.fixture
def case_room_pages(transactional_db) -> list[Page]:
    return [page for page in _case_room_pages() if _is_html_page(page)]


def test_every_page_passes_axe(matrix_pages, live_asgi_server, browser_page):
    labels = " ".join(page.label for page in matrix_pages)
    # the main pages of every part of the platform are among them
    for name in ["home ", "directory:index", "directory:professional ", "directory:social_map",
                 "channels_app:index", "channels_app:channel ", "channels_app:notifications",
                 "channels_app:search", "knowledge:index", "knowledge:article ",
                 "knowledge:sessions", "knowledge:session ", "insights:dashboard",
                 "account_login"]:  # fmt: skip
        assert name in labels + " ", f"{name.strip()} is not among the checked pages"
    problems = _audit(matrix_pages, f"http://{live_asgi_server}", browser_page)
    assert not problems, (
        f"axe found problems on {len(problems)} of {len(matrix_pages)} pages:\n"
        + (_report(problems))
    )


def test_every_case_room_page_passes_axe(case_room_pages, live_asgi_server, browser_page):
    assert len(case_room_pages) == 14, [page.label for page in case_room_pages]
    problems = _audit(case_room_pages, f"http://{live_asgi_server}", browser_page)
    assert not problems, (
        f"axe found problems on {len(problems)} of {len(case_room_pages)} pages:\n"
        + (_report(problems))
    )


def _visit(pages: list[Page], server: str, browser_page) -> Iterator[Page]:
    """Opens each page in turn, as its persona and in its language."""
    context = browser_page.context
    for page in pages:
        context.clear_cookies()
        cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": page.language, "url": server}]
        if page.session:
            cookies.append(
                {"name": settings.SESSION_COOKIE_NAME, "value": page.session, "url": server}
            )
        context.add_cookies(cookies)
        browser_page.goto(server + page.url, wait_until="load")
        yield page


def _wider_than(width: int, pages: list[Page], server: str, browser_page) -> dict[str, int]:
    """The pages whose document is wider than ``width`` px on a screen that wide."""
    browser_page.set_viewport_size({"width": width, "height": 740})
    wider: dict[str, int] = {}
    for page in _visit(pages, server, browser_page):
        scroll_width = browser_page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            wider[f"{page.label}: {page.url}"] = scroll_width
    return wider


def test_no_page_scrolls_sideways_on_a_small_phone(
    matrix_pages, case_room_pages, live_asgi_server, browser_page
):
    """At 360 px every page fits the screen: wide tables scroll inside their own box."""
    wider = _wider_than(
        360, matrix_pages + case_room_pages, f"http://{live_asgi_server}", browser_page
    )
    assert not wider, wider


def test_every_control_is_big_enough_to_tap_on_a_phone(
    matrix_pages, case_room_pages, live_asgi_server, browser_page
):
    """At 390 px every button, field and link outside running text is at least 44×44 px."""
    browser_page.set_viewport_size({"width": 390, "height": 844})
    pages = matrix_pages + case_room_pages
    problems: dict[str, list[str]] = {}
    for page in _visit(pages, f"http://{live_asgi_server}", browser_page):
        found = small_targets(browser_page)
        if found:
            problems[f"{page.label}: {page.url}"] = found
    assert not problems, (
        f"controls smaller than {MINIMUM}×{MINIMUM} px on {len(problems)} of {len(pages)} "
        "pages:\n" + _report(problems)
    )
