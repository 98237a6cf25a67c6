"""Message search built for many messages: capped counts, plain selects, readable channel ids,
authors by name."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from channels_app import search, services

pytestmark = pytest.mark.django_db


def post(room, author, body):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.post_message(room.channel.pk, author=author, body=body)[0]


def test_readable_channel_ids_match_the_readable_channels(closed_room, open_room):
    direct = services.direct_channel(by=closed_room.owner, others=[closed_room.member])
    for user in [closed_room.member, closed_room.outsider, closed_room.owner]:
        expected = sorted(search.readable_channels(user).values_list("pk", flat=True))
        assert search.readable_channel_ids(user) == expected
    assert direct.pk in search.readable_channel_ids(closed_room.member)
    assert direct.pk not in search.readable_channel_ids(closed_room.outsider)
    assert closed_room.channel.pk not in search.readable_channel_ids(closed_room.outsider)


def test_pages_are_not_counted_but_know_what_follows(client, closed_room, monkeypatch):
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    for day in range(5):
        post(closed_room, closed_room.owner, f"Afspraak nummer {day}")
    client.force_login(closed_room.member)
    url = reverse("channels_app:search")
    response = client.get(url, {"q": "afspraak"})
    page = response.context["page"]
    html = response.content.decode()
    assert page.paginator.capped and page.has_next() and not page.has_previous()
    assert "More than 2 messages found" in html or "Meer dan 2 berichten gevonden" in html
    assert "page=2" in html and 'rel="next"' in html
    # newest first, and every page follows on from the one before
    assert [m.body for m in page.object_list] == ["Afspraak nummer 4", "Afspraak nummer 3"]
    page = client.get(url, {"q": "afspraak", "page": 2}).context["page"]
    assert [m.body for m in page.object_list] == ["Afspraak nummer 2", "Afspraak nummer 1"]
    assert page.has_next() and page.has_previous()
    response = client.get(url, {"q": "afspraak", "page": 3})
    page = response.context["page"]
    assert [m.body for m in page.object_list] == ["Afspraak nummer 0"]
    assert not page.has_next() and page.paginator.count == 5 and not page.paginator.capped
    assert "5 messages found" in response.content.decode() or (
        "5 berichten gevonden" in response.content.decode()
    )
    # past the end, or not a number: the first page
    for number in ["9", "x", "0", "-2"]:
        page = client.get(url, {"q": "afspraak", "page": number}).context["page"]
        assert page.number == 1 and len(page.object_list) == 2
    page = client.get(url, {"q": "nummer 2"}).context["page"]
    assert not page.paginator.capped and page.paginator.count == 1 and not page.has_next()


def test_a_page_number_beyond_any_offset_gives_the_first_page(client, closed_room):
    post(closed_room, closed_room.owner, "Afspraak maandag")
    client.force_login(closed_room.member)
    url = reverse("channels_app:search")
    for number in ["99999999999999999999", str(2**63 // search.PAGE_SIZE), "9" * 5000]:
        response = client.get(url, {"q": "afspraak", "page": number})
        assert response.status_code == 200
        page = response.context["page"]
        assert page.number == 1 and [m.body for m in page.object_list] == ["Afspraak maandag"]


def test_the_author_is_a_name_and_the_page_lists_nobody(client, closed_room):
    odd = User.objects.create_user(
        email="odd@example.org", password="x" * 12, display_name="<b>Ab & Co</b>"
    )
    post(closed_room, closed_room.owner, "Afspraak maandag")
    client.force_login(closed_room.member)
    url = reverse("channels_app:search")
    response = client.get(url, {"q": "afspraak", "author": 'eigenaar "<>'})
    html = response.content.decode()
    # the typed name is kept, escaped; nobody's name is listed on the page
    assert 'name="author" value="eigenaar &quot;&lt;&gt;"' in html
    assert "Ab &amp; Co" not in html and str(odd.email) not in html
    assert "Olga Eigenaar" in html  # as the author of a result, not as an option
    assert "<option" not in html.split('name="author"')[1].split("</div>")[0]
    assert f'<option value="{closed_room.channel.pk}">' in html
    # the page costs the same queries however many people there are
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"q": "afspraak", "author": "olga"})
    for n in range(30):
        User.objects.create_user(
            email=f"n{n}@example.org", password="x" * 12, display_name=f"Naam {n}"
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"q": "afspraak", "author": "olga"})
    assert len(many.captured_queries) == len(few.captured_queries)


def test_an_authors_name_is_found_without_its_accents(client, closed_room):
    anais = closed_room.member
    anais.display_name = "Anaïs Kessels"
    anais.save(update_fields=["display_name"])
    post(closed_room, anais, "Afspraak bij de huisarts")
    post(closed_room, closed_room.owner, "Afspraak verzet")
    client.force_login(closed_room.owner)
    url = reverse("channels_app:search")
    for name in ["anais", "Anaïs", "ANAÏS kessels", "Kessels", "anaïs"]:
        page = client.get(url, {"q": "afspraak", "author": name}).context["page"]
        assert [m.body for m in page.object_list] == ["Afspraak bij de huisarts"], name
    for name in ["Anaïs Eigenaar", "Anaise"]:
        page = client.get(url, {"q": "afspraak", "author": name}).context["page"]
        assert list(page.object_list) == [], name
