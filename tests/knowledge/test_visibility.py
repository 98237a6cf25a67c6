"""Restricted articles: owner, channel member and outsider over every route, search included."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from knowledge import services
from tests.knowledge.fixtures import upload

pytestmark = pytest.mark.django_db


def _routes(article, attachment):
    pk = article.pk
    return {
        "get": [
            f"/knowledge/articles/{pk}/",
            f"/knowledge/articles/{pk}/files/{attachment.pk}/",
        ],
        "post": [
            (f"/knowledge/articles/{pk}/comments/", {"body": "Goed stuk"}),
            (f"/knowledge/articles/{pk}/bookmark/", {}),
        ],
    }


@pytest.fixture
def attachment(library):
    return services.add_attachment(
        library.restricted,
        by=library.trainer,
        upload=upload("notities.pdf", b"%PDF-1.4\n%%EOF\n"),
    )


def test_it_shows_a_restricted_article_to_the_owner_and_channel_members(
    client, library, attachment
):
    for person in (library.trainer, library.member):
        client.force_login(person)
        for url in _routes(library.restricted, attachment)["get"]:
            assert client.get(url).status_code == HTTPStatus.OK, (person, url)
        for url, data in _routes(library.restricted, attachment)["post"]:
            assert client.post(url, data).status_code == HTTPStatus.FOUND, (person, url)
        listing = client.get("/knowledge/").content.decode()
        assert "Werkafspraken pilot eenzaamheid" in listing


def test_it_hides_a_restricted_article_from_outsiders_everywhere(client, library, attachment):
    client.force_login(library.outsider)
    for url in _routes(library.restricted, attachment)["get"]:
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url
    for url, data in _routes(library.restricted, attachment)["post"]:
        assert client.post(url, data).status_code == HTTPStatus.NOT_FOUND, url
    pk = library.restricted.pk
    for url in (
        f"/knowledge/articles/{pk}/history/",
        f"/knowledge/articles/{pk}/edit/",
        f"/knowledge/articles/{pk}/cover/",
        f"/knowledge/articles/{pk}/history/1/",
    ):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url
    for url in (
        f"/knowledge/articles/{pk}/share/",
        f"/knowledge/articles/{pk}/publish/",
        f"/knowledge/articles/{pk}/history/1/restore/",
    ):
        assert client.post(url, {"channel": library.channel.pk}).status_code == 404, url
    # a missing article looks the same
    assert client.get("/knowledge/articles/999999/").status_code == HTTPStatus.NOT_FOUND
    for query in ("", "?q=werkafspraken", "?q=eenzaamheid", "?q=vertrouwelijke"):
        page = client.get(f"/knowledge/{query}").content.decode()
        assert "Werkafspraken" not in page, query
        assert "Vertrouwelijke" not in page, query
    assert "Leefstijl en bewegen" in client.get("/knowledge/").content.decode()
    assert client.get("/knowledge/?q=werkafspraken").context["page"].paginator.count == 0


def test_it_hides_the_article_again_when_a_member_leaves_the_channel(client, library):
    from channels_app import services as channel_services

    channel_services.leave(library.channel, library.member)
    client.force_login(library.member)
    assert client.get(f"/knowledge/articles/{library.restricted.pk}/").status_code == 404


def test_it_sends_unverified_and_anonymous_people_away(client, library):
    url = f"/knowledge/articles/{library.public.pk}/"
    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND
    assert "/accounts/login/" in response["Location"]
    client.force_login(library.unverified)
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    assert client.get("/knowledge/?q=leefstijl").status_code == HTTPStatus.FORBIDDEN


def test_it_searches_only_readable_articles(client, library):
    client.force_login(library.member)
    assert client.get("/knowledge/?q=werkafspraken").context["page"].paginator.count == 1
    client.force_login(library.outsider)
    assert client.get("/knowledge/?q=werkafspraken").context["page"].paginator.count == 0
