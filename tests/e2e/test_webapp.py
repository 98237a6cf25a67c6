"""The installable app in Chromium: installable, its service worker active, and offline the
offline page, never a page the browser kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e import BROWSER_TIME_ZONE, session_cookie
from tests.e2e.axe import axe_violations
from tests.factories import ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTROLLED = """() => navigator.serviceWorker.controller !== null
    && navigator.serviceWorker.controller.state === 'activated'"""
CACHED_URLS = """async () => {
    const urls = [];
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
    }
    return urls;
}"""


def wait_for_worker(page: Page) -> None:
    """Until the service worker controls the page (it claims the pages open when it starts)."""
    page.wait_for_function(CONTROLLED, timeout=15_000)


@pytest.fixture
def profile_page(monkeypatch, tmp_path) -> Iterator[Page]:
    """A page in a browser profile of its own: Chromium installs no app from a private window,
    which is what the other tests' contexts are."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path / "profile",
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            timezone_id=BROWSER_TIME_ZONE,
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def test_the_platform_is_an_installable_app(live_asgi_server, profile_page):
    page = profile_page
    page.goto(f"http://{live_asgi_server}/accounts/login/")
    wait_for_worker(page)
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == f"http://{live_asgi_server}/manifest.webmanifest"
    assert manifest["errors"] == []
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    assert scope == f"http://{live_asgi_server}/"


def test_offline_a_page_shows_the_offline_page_and_online_the_page_again(
    live_asgi_server, browser_page
):
    server = f"http://{live_asgi_server}"
    anna = ProfessionalFactory(user=UserFactory(display_name="Anna Huisarts")).user
    page = browser_page
    page.context.add_cookies([session_cookie(anna, server)])
    page.goto(f"{server}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom, Anna")
    wait_for_worker(page)

    page.context.set_offline(True)
    # the page just seen, and one never visited: neither comes from a cache (the first in a tab
    # of its own, so that its offline page's retrying cannot cross the second navigation)
    seen = page.context.new_page()
    for tab, path in [(seen, "/"), (page, "/directory/")]:
        tab.goto(f"{server}{path}")
        expect(tab.get_by_role("heading", level=1)).to_have_text("Je bent offline")
        expect(tab).to_have_url(f"{server}{path}")
        expect(tab.get_by_text("Anna Huisarts")).to_have_count(0)
    seen.close()
    # styled from the worker's cache
    assert page.evaluate("() => getComputedStyle(document.body).fontFamily").startswith("system-ui")
    page.get_by_role("button", name="Opnieuw proberen").click()
    expect(page.get_by_role("status")).to_contain_text("Nog steeds geen verbinding")

    page.context.set_offline(False)
    # the page loads again by itself once the network is back
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wie is wie", timeout=10_000)
    page.goto(f"{server}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom, Anna")


def test_the_worker_keeps_no_page_but_the_offline_page(live_asgi_server, browser_page):
    server = f"http://{live_asgi_server}"
    anna = ProfessionalFactory(user=UserFactory(display_name="Anna Huisarts")).user
    page = browser_page
    page.context.add_cookies([session_cookie(anna, server)])
    page.goto(f"{server}/")
    wait_for_worker(page)
    for path in ["/directory/", "/channels/", f"/directory/people/{anna.professional.pk}/"]:
        page.goto(f"{server}{path}")
    cached = page.evaluate(CACHED_URLS)
    assert "/offline/" in cached
    assert "/static/css/site.css" in cached
    assert [url for url in cached if url != "/offline/" and not url.startswith("/static/")] == []


def test_the_offline_page_has_no_serious_accessibility_problem(live_asgi_server, browser_page):
    page = browser_page
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"http://{live_asgi_server}/offline/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Je bent offline")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        assert axe_violations(page) == []


def test_a_new_worker_deletes_the_caches_of_earlier_releases(live_asgi_server, browser_page):
    server = f"http://{live_asgi_server}"
    page = browser_page
    page.goto(f"{server}/healthz")  # a page of the site without the worker
    page.evaluate(
        """async () => {
            const old = await caches.open('wijk-shell-0123456789abcdef');
            await old.put('/static/css/site.css', new Response('/* last release */'));
            await caches.open('another-script-s-cache');
        }"""
    )
    page.goto(f"{server}/accounts/login/")
    wait_for_worker(page)
    names = page.evaluate("() => caches.keys()")
    shell = [name for name in names if name.startswith("wijk-shell-")]
    assert len(shell) == 1 and shell[0] != "wijk-shell-0123456789abcdef"
    assert "another-script-s-cache" in names
