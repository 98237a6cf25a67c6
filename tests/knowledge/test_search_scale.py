"""Article search with bounded work: ranked candidates, uncounted pages, snippets per page."""

from __future__ import annotations

import pytest

from knowledge import search
from tests.knowledge.fixtures import publish

pytestmark = pytest.mark.django_db


def _page(client, query):
    return client.get(f"/knowledge/{query}").context["page"]


def test_only_the_newest_hits_are_ranked_and_pages_are_not_counted(
    client, trainer, colleague, monkeypatch
):
    monkeypatch.setattr(search, "RANK_CANDIDATES", 3)
    monkeypatch.setattr("knowledge.views.PAGE", 2)
    oldest = publish(trainer, title="Mantelzorg", summary="Mantelzorg mantelzorg.", body="Zorg.")
    for n in range(3):
        publish(trainer, title=f"Artikel {n}", summary="Over de wijk.", body=f"Mantelzorg {n}.")
    client.force_login(colleague)
    page = _page(client, "?q=mantelzorg")
    # the oldest article would rank first, but it is not among the three newest hits
    assert oldest not in page.object_list
    assert page.has_next() and page.paginator.capped
    assert "[[[" in page.object_list[0].snippet  # made for the page's articles
    html = client.get("/knowledge/?q=mantelzorg").content.decode()
    assert "More than 2 articles found" in html or "Meer dan 2 artikelen gevonden" in html
    last = _page(client, "?q=mantelzorg&page=2")
    assert len(last.object_list) == 1 and not last.has_next() and last.paginator.count == 3
    # with room for every hit, the best match comes first
    monkeypatch.setattr(search, "RANK_CANDIDATES", 300)
    assert _page(client, "?q=mantelzorg").object_list[0] == oldest


def test_a_frequent_word_within_a_theme_ranks_the_themes_newest_hits(
    client, trainer, colleague, monkeypatch
):
    from knowledge.models import Theme

    monkeypatch.setattr(search, "RANK_CANDIDATES", 3)
    leefstijl = Theme.objects.get(slug="leefstijl")
    schulden = Theme.objects.get(slug="schulden-en-armoede")
    words = " ".join(f"woord{n}" for n in range(150))
    best = publish(
        trainer,
        title="Mantelzorg",
        summary="Mantelzorg mantelzorg.",
        body=f"Mantelzorg. {words}",
        themes=[leefstijl],
    )
    newer = [
        publish(
            trainer,
            title=f"Leefstijl {n}",
            summary="Over de wijk.",
            body=f"Mantelzorg {n}. {words}",
            themes=[leefstijl],
        )
        for n in range(4)
    ]
    elsewhere = publish(
        trainer,
        title="Schulden",
        summary="Over geld.",
        body=f"Mantelzorg en geld. Budgetcoach. {words}",
        themes=[schulden],
    )
    client.force_login(colleague)

    page = _page(client, "?q=mantelzorg&theme=leefstijl")
    # the three newest articles of the theme with the word, not the older best match and
    # not the newer article of another theme
    assert sorted(a.pk for a in page.object_list) == sorted(a.pk for a in newer[1:])
    assert best not in page.object_list and elsewhere not in page.object_list
    assert all("[[[" in a.snippet for a in page.object_list)

    # a word only some articles have is found, in its theme only
    page = _page(client, "?q=budgetcoach&theme=schulden-en-armoede")
    assert list(page.object_list) == [elsewhere]

    # with room for every hit the walk ranks them all: the best match comes first
    monkeypatch.setattr(search, "RANK_CANDIDATES", 300)
    assert _page(client, "?q=mantelzorg&theme=leefstijl").object_list[0] == best
