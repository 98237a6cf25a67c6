"""List pages use a constant number of queries however much they list."""

from __future__ import annotations

import pytest

from knowledge import services
from knowledge.models import Theme
from tests.knowledge.fixtures import make_session, publish, verified

pytestmark = pytest.mark.django_db


def _fill(trainer, reader, n):
    theme = Theme.objects.first()
    for i in range(n):
        article = publish(trainer, title=f"Artikel {i}", themes=[theme], tag_names=[f"tag{i}"])
        services.toggle_bookmark(article, by=reader)
        session = make_session(trainer, title=f"Sessie {i}", days=3 + i)
        services.register(session.pk, user=reader)


@pytest.mark.parametrize(
    "url",
    [
        "/knowledge/",
        "/knowledge/?q=artikel",
        "/knowledge/?theme=positieve-gezondheid",
        "/knowledge/reading-list/",
        "/knowledge/sessions/",
        "/knowledge/sessions/archive/",
    ],
)
def test_list_pages_have_a_constant_query_count(
    client, trainer, url, django_assert_max_num_queries
):
    reader = verified("Lezer")
    client.force_login(reader)
    _fill(trainer, reader, 2)
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    _fill(trainer, reader, 6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_an_article_page_has_a_constant_query_count(
    client, trainer, colleague, django_assert_max_num_queries
):
    article = publish(trainer)
    client.force_login(colleague)
    services.add_comment(article, by=trainer, body="Eerste")
    with django_assert_max_num_queries(40) as few:
        client.get(f"/knowledge/articles/{article.pk}/")
    for i in range(10):
        root = services.add_comment(article, by=verified(f"Lezer {i}"), body=f"Reactie {i}")
        services.add_comment(article, by=trainer, body="Antwoord", parent_id=root.pk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/knowledge/articles/{article.pk}/")


def test_a_list_names_each_articles_authors_and_themes_in_order(client, trainer):
    reader = verified("Lezer")
    coauthor = verified("Anton Auteur", ["trainer", "professional"])
    themes = list(Theme.objects.filter(slug__in=["ggz", "positieve-gezondheid"]))
    article = publish(trainer, title="Samen lezen", themes=themes, coauthors=[coauthor])
    publish(trainer, title="Losse notitie", themes=[])
    services.toggle_bookmark(article, by=reader)
    client.force_login(reader)
    names = "Anton Auteur, Tessa Trainer"
    # the themes in their own order (position, then name)
    theme_names = ", ".join(t.name for t in Theme.objects.filter(pk__in=[t.pk for t in themes]))
    for url in ["/knowledge/", "/knowledge/?q=samen", "/knowledge/reading-list/"]:
        html = client.get(url).content.decode()
        assert f"{names} · " in html, url
        assert f" · {theme_names}</p>" in html, url
    html = client.get("/knowledge/?q=notitie").content.decode()
    assert "Losse notitie" in html
    assert "Tessa Trainer · " in html
    assert "lezen</p>" in html  # no themes: nothing follows the reading time
