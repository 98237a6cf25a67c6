"""Comments with replies, useful marks, moderation, bookmarks, related articles and sharing."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from channels_app.models import Message
from knowledge import services
from knowledge.models import Bookmark, Comment, Theme
from tests.knowledge.fixtures import publish, verified

pytestmark = pytest.mark.django_db


def test_it_posts_comments_and_replies(client, trainer, colleague):
    article = publish(trainer)
    client.force_login(colleague)
    url = f"/knowledge/articles/{article.pk}/comments/"
    assert client.post(url, {"body": "Herkenbaar!"}).status_code == HTTPStatus.FOUND
    root = Comment.objects.get()
    client.force_login(trainer)
    client.post(url, {"body": "Dank je", "parent": root.pk})
    reply = Comment.objects.exclude(pk=root.pk).get()
    assert reply.parent == root
    # replies are one level deep
    response = client.post(url, {"body": "Nog dieper", "parent": reply.pk})
    assert Comment.objects.count() == 2
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(f"/knowledge/articles/{article.pk}/").content.decode()
    assert "Herkenbaar!" in page and "Dank je" in page


def test_it_refuses_empty_comments_and_comments_on_drafts(client, trainer, colleague):
    article = publish(trainer)
    client.force_login(colleague)
    client.post(f"/knowledge/articles/{article.pk}/comments/", {"body": "   "})
    assert not Comment.objects.exists()
    services.set_published(article, by=trainer, published=False)
    response = client.post(f"/knowledge/articles/{article.pk}/comments/", {"body": "Hoi"})
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_it_counts_useful_marks_once_per_person(client, trainer, colleague):
    article = publish(trainer)
    comment = services.add_comment(article, by=trainer, body="Tip: bel samen.")
    url = f"/knowledge/articles/{article.pk}/comments/{comment.pk}/useful/"
    client.force_login(colleague)
    client.post(url)
    comment.refresh_from_db()
    assert comment.useful_count == 1
    client.post(url)  # a second click takes the mark back
    comment.refresh_from_db()
    assert comment.useful_count == 0
    client.force_login(trainer)
    client.post(url)  # not for one's own comment
    comment.refresh_from_db()
    assert comment.useful_count == 0


def test_authors_moderate_and_readers_do_not(client, trainer, colleague):
    article = publish(trainer)
    other = verified("Andere Lezer")
    comment = services.add_comment(article, by=other, body="Reclame voor iets")
    hide = f"/knowledge/articles/{article.pk}/comments/{comment.pk}/hide/"
    client.force_login(colleague)
    assert client.post(hide).status_code == HTTPStatus.NOT_FOUND
    comment.refresh_from_db()
    assert not comment.is_hidden
    client.force_login(trainer)
    assert client.post(hide).status_code == HTTPStatus.FOUND
    comment.refresh_from_db()
    assert comment.is_hidden
    client.force_login(colleague)
    assert (
        "Reclame voor iets" not in client.get(f"/knowledge/articles/{article.pk}/").content.decode()
    )
    client.force_login(trainer)
    client.post(f"/knowledge/articles/{article.pk}/comments/{comment.pk}/show/")
    comment.refresh_from_db()
    assert not comment.is_hidden


def test_writers_remove_their_own_comment(client, trainer, colleague):
    article = publish(trainer)
    comment = services.add_comment(article, by=colleague, body="Oeps")
    client.force_login(colleague)
    client.post(f"/knowledge/articles/{article.pk}/comments/{comment.pk}/hide/")
    comment.refresh_from_db()
    assert comment.is_hidden
    # but cannot bring it back: that is moderation
    assert (
        client.post(f"/knowledge/articles/{article.pk}/comments/{comment.pk}/show/").status_code
        == 404
    )


def test_it_keeps_a_reading_list(client, trainer, colleague):
    article = publish(trainer, title="Leesvoer")
    client.force_login(colleague)
    client.post(f"/knowledge/articles/{article.pk}/bookmark/")
    assert Bookmark.objects.filter(user=colleague, article=article).exists()
    assert "Leesvoer" in client.get("/knowledge/reading-list/").content.decode()
    client.post(f"/knowledge/articles/{article.pk}/bookmark/")
    assert not Bookmark.objects.exists()


def test_it_suggests_related_articles_the_reader_may_see(client, library):
    ggz = Theme.objects.get(slug="ggz")
    first = publish(library.trainer, title="Eerste GGZ", themes=[ggz], tag_names=[])
    publish(library.trainer, title="Tweede GGZ", themes=[ggz], tag_names=[])
    publish(library.trainer, title="Geheim GGZ", themes=[ggz], tag_names=[], audience="channels",
            channels=[library.channel])  # fmt: skip
    publish(library.trainer, title="Iets anders", themes=[], tag_names=[])
    client.force_login(library.outsider)
    related = client.get(f"/knowledge/articles/{first.pk}/").context["related"]
    assert [a.title for a in related] == ["Tweede GGZ"]
    client.force_login(library.member)
    related = client.get(f"/knowledge/articles/{first.pk}/").context["related"]
    assert sorted(a.title for a in related) == ["Geheim GGZ", "Tweede GGZ"]


def test_it_shares_an_article_as_a_card_in_a_channel(client, trainer, open_room):
    article = publish(trainer, title="Deelbaar [artikel]", summary="Kort *verhaal*")
    client.force_login(open_room.member)
    response = client.post(
        f"/knowledge/articles/{article.pk}/share/",
        {"channel": open_room.channel.pk, "note": "Lezen!"},
    )
    assert response.status_code == HTTPStatus.FOUND
    message = Message.objects.get(channel=open_room.channel)
    assert f'href="/knowledge/articles/{article.pk}/"' in message.body_html
    assert "<blockquote>" in message.body_html
    assert "Deelbaar [artikel]" in message.body_html
    # only into channels where one is a member
    client.force_login(open_room.outsider)
    client.post(f"/knowledge/articles/{article.pk}/share/", {"channel": open_room.channel.pk})
    assert Message.objects.count() == 1


def test_a_restricted_article_is_shared_only_in_its_own_channels(client, library, open_room):
    from channels_app import services as channel_services

    channel_services.join(open_room.channel, library.member)
    client.force_login(library.member)
    url = f"/knowledge/articles/{library.restricted.pk}/share/"
    client.post(url, {"channel": open_room.channel.pk})
    assert not Message.objects.filter(channel=open_room.channel).exists()
    client.post(url, {"channel": library.channel.pk})
    assert Message.objects.filter(channel=library.channel).count() == 1
