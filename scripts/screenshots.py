"""Screenshots of the demo's main pages in Chromium, for docs/screenshots/.

Run against a server with the demo data (`make run`, or a checkout of an older commit to compare):

    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8000 --out /tmp/shots \
        [--suffix -before] [--only directory social-map]

Each page is taken at 1366 and 390 px wide, signed in as the demo account that uses it (with the
demo's published second-factor secret for the case rooms; see README, "Demo logins").

With `--phone` the phone set is taken instead, for docs/screenshots/phone/: what a professional
sees on a 390 × 844 px screen (at twice the pixels, as on a phone), one screen per page.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import re
import struct
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

# the demo's published logins (README, "Demo logins"), as demo/directory.py and demo/privacy.py
PASSWORD = "Heerlen-demo-2026"  # noqa: S105
TOTP_SECRET = "WIJKPLATFORMDEMOHEERLENCASEROOMS"  # noqa: S105
DOMAIN = "demo.wijkplatform.example"
WIDTHS = (1366, 390)
USED_CODES: set[str] = set()


def totp(secret: str, at: float | None = None) -> str:
    """The six-digit code of RFC 6238 (30 s, SHA-1), as an authenticator app shows it."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def sign_in(page: Page, base: str, account: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", f"{account}@{DOMAIN}")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    for _attempt in range(3):
        if not page.locator("input[name=code]").count():
            return
        code = totp(TOTP_SECRET)
        while code in USED_CODES:  # a code counts once, also one used by an earlier run
            time.sleep(1)
            code = totp(TOTP_SECRET)
        USED_CODES.add(code)
        page.fill("input[name=code]", code)
        with page.expect_navigation():
            page.press("input[name=code]", "Enter")
    raise RuntimeError(f"{account}: the second-factor code was refused")


def first_link(page: Page, base: str, path: str, pattern: str) -> str:
    """The first link in the page's main part whose address matches ``pattern``."""
    page.goto(f"{base}{path}")
    for link in page.locator("main a[href]").all():
        href = link.get_attribute("href") or ""
        if re.fullmatch(pattern, href):
            return href
    raise LookupError(f"no link like {pattern} on {path}")


def link_named(page: Page, base: str, path: str, text: str) -> str:
    """The address of the first link on ``path`` that reads ``text``."""
    page.goto(f"{base}{path}")
    href = page.get_by_role("link", name=text).first.get_attribute("href")
    if not href:
        raise LookupError(f"no link {text!r} on {path}")
    return href


#: name → (account or "" for signed out, how to reach the page)
PAGES = {
    "login": ("", lambda page, base: "/accounts/login/"),
    "directory": ("anouk.aerts", lambda page, base: "/directory/?q=schuld"),
    "social-map": ("anouk.aerts", lambda page, base: "/directory/social-map/"),
    "article": (
        "trainer",
        lambda page, base: first_link(page, base, "/knowledge/", r"/knowledge/articles/\d+/"),
    ),
    "insights": ("programma", lambda page, base: "/insights/"),
    "programme-manager-refused": ("programma", lambda page, base: "/directory/"),
    "case-plan": (
        "anouk.aerts",
        lambda page, base: first_link(page, base, "/cases/", r"/cases/\d+/") + "plan/",
    ),
    "case-members": (
        "anouk.aerts",
        lambda page, base: first_link(page, base, "/cases/", r"/cases/\d+/") + "members/",
    ),
}


#: the phone set: name → (account, how to reach the page, what to bring into view or "")
PHONE_PAGES = {
    "directory": ("anouk.aerts", lambda page, base: "/directory/?q=schuld", ".wijk-search"),
    "channel": (
        "anouk.aerts",
        lambda page, base: link_named(page, base, "/channels/", "Samen Heerlen Gezond"),
        "",
    ),
    "case-room": (
        "anouk.aerts",
        lambda page, base: first_link(page, base, "/cases/", r"/cases/\d+/"),
        "",
    ),
    "knowledge": ("anouk.aerts", lambda page, base: "/knowledge/", "#results-heading"),
}
PHONE = {"width": 390, "height": 844}


def phone_shots(browser, base: str, out: Path, only: list[str] | None) -> None:
    for name in only or PHONE_PAGES:
        account, reach, into_view = PHONE_PAGES[name]
        context = browser.new_context(locale="nl-NL", viewport=PHONE, device_scale_factor=2,
                                      is_mobile=True, has_touch=True)  # fmt: skip
        page = context.new_page()
        sign_in(page, base, account)
        page.goto(f"{base}{reach(page, base)}")
        page.wait_for_load_state("networkidle")
        if into_view:  # at the top of the screen
            page.locator(into_view).first.evaluate("(el) => el.scrollIntoView()")
        target = out / f"{name}-390.png"
        page.screenshot(path=str(target))
        print(target)
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--suffix", default="")
    parser.add_argument("--only", nargs="*", choices=sorted({*PAGES, *PHONE_PAGES}))
    parser.add_argument("--phone", action="store_true", help="the phone set (PHONE_PAGES)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.base_url.rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        if args.phone:
            phone_shots(browser, base, args.out, args.only)
            browser.close()
            return
        for name in args.only or PAGES:
            account, reach = PAGES[name]
            context = browser.new_context(locale="nl-NL", viewport={"width": 1366, "height": 900})
            page = context.new_page()
            if account:
                sign_in(page, base, account)
            path = reach(page, base)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(f"{base}{path}")
                page.wait_for_load_state("networkidle")
                target = args.out / f"{name}-{width}{args.suffix}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
