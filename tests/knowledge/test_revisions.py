"""Every save of a published article is a revision; history shows a readable diff; restore."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from knowledge import services
from knowledge.content import diff_text
from tests.knowledge.fixtures import article_data, publish

pytestmark = pytest.mark.django_db


def test_it_stores_a_revision_for_every_save_while_published(trainer):
    draft = services.save_article(None, by=trainer, data=article_data())
    services.save_article(draft, by=trainer, data=article_data(body="Nog een concept"))
    assert draft.revisions.count() == 0  # drafts have no history yet
    article = services.set_published(draft, by=trainer)
    services.save_article(article, by=trainer, data=article_data(body="Tweede versie"))
    services.save_article(article, by=trainer, data=article_data(body="Derde versie"))
    assert list(article.revisions.order_by("number").values_list("number", "body")) == [
        (1, "Nog een concept"),
        (2, "Tweede versie"),
        (3, "Derde versie"),
    ]


def test_it_shows_a_readable_escaped_diff(client, trainer):
    article = publish(trainer, body="Eerste regel\nTweede regel\nDerde regel")
    services.save_article(
        article,
        by=trainer,
        data=article_data(body="Eerste regel\n<script>alert(1)</script>\nDerde regel"),
    )
    client.force_login(trainer)
    response = client.get(f"/knowledge/articles/{article.pk}/history/2/")
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "wijk-diff__line--removed" in page
    assert "Tweede regel" in page
    history = client.get(f"/knowledge/articles/{article.pk}/history/").content.decode()
    assert f"/knowledge/articles/{article.pk}/history/1/restore/" in history


def test_diff_text_marks_added_and_removed_lines():
    lines = diff_text("a\nb\nc", "a\nB\nc\nd")
    assert [(line.kind, line.text) for line in lines] == [
        ("same", "a"),
        ("removed", "b"),
        ("added", "B"),
        ("same", "c"),
        ("added", "d"),
    ]


def test_it_restores_an_older_revision(client, trainer, colleague):
    article = publish(trainer, title="Oud", body="Oude tekst")
    services.save_article(article, by=trainer, data=article_data(title="Nieuw", body="Nieuw"))
    client.force_login(colleague)
    restore = f"/knowledge/articles/{article.pk}/history/1/restore/"
    assert client.post(restore).status_code == HTTPStatus.NOT_FOUND
    client.force_login(trainer)
    assert client.post(restore).status_code == HTTPStatus.FOUND
    article.refresh_from_db()
    assert (article.title, article.body) == ("Oud", "Oude tekst")
    latest = article.revisions.order_by("-number").first()
    assert latest.number == 3
    assert latest.restored_from.number == 1
    compare = client.get(f"/knowledge/articles/{article.pk}/history/2/?compare=current")
    assert compare.status_code == HTTPStatus.OK


def test_it_keeps_the_history_from_readers(client, trainer, colleague):
    article = publish(trainer)
    client.force_login(colleague)
    assert client.get(f"/knowledge/articles/{article.pk}/history/").status_code == 404
    assert client.get(f"/knowledge/articles/{article.pk}/history/1/").status_code == 404
