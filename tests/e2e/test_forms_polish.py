"""Forms and action buttons as a person sees them: no "(niet verplicht)" where nobody expects to
fill a field, selects in the NL Design System style, buttons apart, an empty comment box not
red before anything was typed, a revision's lines without blank space between them."""

from __future__ import annotations

from itertools import pairwise

import pytest
from playwright.sync_api import Locator, expect

from knowledge import services
from tests.e2e.axe import axe_violations
from tests.e2e.test_knowledge import _cookie
from tests.knowledge.fixtures import article_data, make_session, publish, verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BUTTONS = ".utrecht-button, .utrecht-button-link"


def _assert_apart(items: Locator) -> None:
    """The elements stand in a row (or wrap) with at least 8 px between neighbours."""
    boxes = [item.bounding_box() for item in items.all()]
    assert len(boxes) >= 2 and all(boxes), boxes
    for left, right in pairwise(boxes):
        assert left and right
        if abs(left["y"] - right["y"]) < 2:  # on one line
            assert right["x"] - (left["x"] + left["width"]) >= 8, (left, right)
        else:  # wrapped to the next line
            assert right["y"] - (left["y"] + left["height"]) >= 8, (left, right)


def _border(item: Locator) -> str:
    return item.evaluate("e => getComputedStyle(e).borderTopColor")


def test_article_actions_comments_and_revision_diff(
    live_asgi_server, browser_page, transactional_db
):
    server = f"http://{live_asgi_server}"
    page = browser_page
    trainer = verified("Tessa Trainer", ["trainer", "professional"])
    article = publish(trainer)
    services.save_article(
        article,
        by=trainer,
        data=article_data(body="## Het spinnenweb\n\nEerste regel.\nTweede regel.\nDerde regel."),
    )
    page.context.add_cookies([_cookie(trainer, server)])
    page.goto(f"{server}/knowledge/articles/{article.pk}/")

    # the actions stand apart as a button group
    _assert_apart(page.locator("#actions-heading + .utrecht-button-group").locator(BUTTONS))

    # the comment box is not in its error state before anything was typed ...
    box = page.locator("#discussion textarea[name=body]")
    expect(box).to_be_visible()
    untouched = _border(box)
    box.fill("Herkenbaar, dank je.")
    box.blur()
    assert _border(box) == untouched
    # ... but is once someone emptied it again and left it
    box.fill("")
    box.blur()
    assert _border(box) != untouched
    assert axe_violations(page) == []

    # the revision's lines follow each other without blank space
    page.goto(f"{server}/knowledge/articles/{article.pk}/history/2/")
    lines = [line.bounding_box() for line in page.locator(".wijk-diff__line").all()]
    assert len(lines) >= 4
    for upper, lower in pairwise(lines):
        assert upper and lower
        assert abs(lower["y"] - (upper["y"] + upper["height"])) <= 1, (upper, lower)
    assert axe_violations(page) == []


def test_session_buttons_and_search_forms(live_asgi_server, browser_page, transactional_db):
    server = f"http://{live_asgi_server}"
    page = browser_page
    trainer = verified("Tessa Trainer", ["trainer", "professional"])
    session = make_session(trainer, title="Geldzorgen bespreekbaar maken", capacity=12)
    page.context.add_cookies([_cookie(trainer, server)])

    page.goto(f"{server}/knowledge/sessions/{session.pk}/")
    groups = page.locator(".wijk-panel .utrecht-button-group")
    expect(groups.first).to_be_visible()
    for group in groups.all():
        if group.locator(BUTTONS).count() >= 2:
            _assert_apart(group.locator(BUTTONS))

    # search boxes and filters: no "(niet verplicht)"; their selects are NL Design System selects
    for path in ("/knowledge/", "/channels/search/", "/directory/"):
        page.goto(f"{server}{path}")
        expect(page.locator("main")).not_to_contain_text("niet verplicht")
        for select in page.locator("main select").all():
            assert "utrecht-select" in (select.get_attribute("class") or ""), path
            assert select.evaluate("e => getComputedStyle(e).borderTopWidth") == "2px", path
            # the library hides the browser's arrow: the theme draws one
            assert "select-chevron" in select.evaluate(
                "e => getComputedStyle(e).backgroundImage"
            ), path
        expect(page.locator("main option", has_text="---------")).to_have_count(0)

    # a form that asks for something marks what may stay empty
    page.goto(f"{server}/directory/me/")
    expect(page.locator("main .wijk-optional").first).to_have_text("(niet verplicht)")
    for name in ("Profiel opslaan", "Vragen om toegevoegd te worden"):
        expect(
            page.locator(".utrecht-button-group").get_by_role("button", name=name)
        ).to_be_visible()
