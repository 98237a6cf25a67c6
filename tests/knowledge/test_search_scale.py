"""Article search with bounded work: ranked candidates, uncounted pages, snippets per page."""

from __future__ import annotations

import pytest

from knowledge import search
from tests.knowledge.fixtures import publish

pytestmark = pytest.mark.django_db


def _page(client, query):
    return client.get(f"/knowledge/{query}").context["page"]


@pytest.mark.postgres
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
