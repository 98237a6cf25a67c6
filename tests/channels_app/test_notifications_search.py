from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from channels_app import services
from channels_app.models import Notification

pytestmark = pytest.mark.django_db


def post(room, author, body, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.post_message(room.channel.pk, author=author, body=body, **kwargs)[0]


def test_mentions_replies_invitations_and_requests_notify(client, closed_room):
    room = closed_room
    root = post(room, room.member, "Wie weet raad?")
    post(room, room.owner, "@Mark Lid zie mijn antwoord", parent_id=root.pk)
    notes = Notification.objects.filter(user=room.member).exclude(kind="invitation")
    kinds = list(notes.values_list("kind", flat=True))
    assert kinds == ["mention"]  # the mention already told them about the reply
    post(room, room.owner, "Nog een reactie", parent_id=root.pk)
    assert Notification.objects.filter(user=room.member, kind="reply").count() == 1
    services.request_to_join(room.channel, room.outsider)
    assert Notification.objects.filter(user=room.owner, kind="join_request").exists()
    other = services.create_channel(by=room.owner, kind="closed", name="Ander kanaal")
    services.invite(other, by=room.owner, user=room.outsider)
    assert Notification.objects.filter(user=room.outsider, kind="invitation").exists()

    client.force_login(room.member)
    page = client.get(reverse("channels_app:notifications"))
    assert "Olga Eigenaar" in page.content.decode()
    notification = Notification.objects.filter(user=room.member, kind="mention").first()
    response = client.post(reverse("channels_app:open_notification", args=[notification.pk]))
    assert response.status_code == HTTPStatus.FOUND
    notification.refresh_from_db()
    assert notification.read_at is not None
    # someone else's notification is not there
    client.force_login(room.outsider)
    response = client.post(reverse("channels_app:open_notification", args=[notification.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_first_notifications_page_carries_what_live_notifications_need(client, closed_room):
    room = closed_room
    client.force_login(room.outsider)
    html = client.get(reverse("channels_app:notifications")).content.decode()
    assert "Nog geen meldingen." in html and "data-no-notifications" in html
    assert '<ul class="wijk-list" data-notifications data-live hidden' in html
    # each kind's sentence with its placeholders, translated, for static/js/badges.js
    assert 'data-text-mention="%(actor)s noemde je in %(channel)s"' in html
    assert 'data-text-join-request="%(actor)s ' in html
    assert 'data-direct-text="een direct gesprek"' in html
    assert 'data-new-text="nieuw"' in html
    assert 'data-open-url="/channels/notifications/0/open/"' in html
    # the site's time zone, in which the script writes the time, and the months as the
    # server abbreviates them
    assert '<html lang="nl" data-time-zone="Europe/Amsterdam" ' in html
    assert ' data-months="jan.,feb.,mrt.,apr.,mei,jun.,jul.,aug.,sep.,okt.,nov.,dec."' in html
    # the hidden "mark all" form carries the CSRF token the script copies
    assert (
        '<form method="post" data-mark-all hidden><input type="hidden" name="csrfmiddlewaretoken"'
        in html
    )

    Notification.objects.bulk_create(  # a second page does not take new ones
        Notification(user=room.member, kind="mention", channel=room.channel, actor=room.owner)
        for _n in range(31)
    )
    client.force_login(room.member)
    first = client.get(reverse("channels_app:notifications")).content.decode()
    assert "data-notifications data-live\n" in first and "data-no-notifications" not in first
    second = client.get(reverse("channels_app:notifications"), {"page": 2}).content.decode()
    assert "data-notifications data-live" not in second and "data-notifications\n" in second


def test_the_digest_has_no_content_from_closed_channels_or_direct_messages(closed_room, open_room):
    room = closed_room
    post(room, room.owner, "@Mark Lid vertrouwelijk: gezin K. heeft hulp nodig")
    direct = services.direct_channel(by=room.owner, others=[room.member])
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.post_message(direct.pk, author=room.owner, body="@Mark Lid privé bericht")
    services.join(open_room.channel, room.member)
    services.join(open_room.channel, room.owner)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.post_message(
            open_room.channel.pk, author=room.owner, body="@Mark Lid open vraag over de wijk"
        )
    call_command("send_digests", min_age=0)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "vertrouwelijk" not in body and "privé" not in body
    assert "Samen Heerlen Gezond" in body
    assert "open vraag over de wijk" in body
    call_command("send_digests", min_age=0)
    assert len(mail.outbox) == 1  # nothing twice


def test_search_finds_only_messages_the_user_may_read(client, closed_room, open_room):
    post(closed_room, closed_room.owner, "Overleg over de schuldhulpverlening")
    post(open_room, open_room.owner, "Open bericht over schuldhulpverlening")
    client.force_login(closed_room.member)
    response = client.get(reverse("channels_app:search"), {"q": "schuldhulpverlening"})
    bodies = sorted(m.body for m in response.context["page"].object_list)
    assert bodies == [
        "Open bericht over schuldhulpverlening",
        "Overleg over de schuldhulpverlening",
    ]
    client.force_login(closed_room.outsider)
    response = client.get(reverse("channels_app:search"), {"q": "schuldhulpverlening"})
    assert [m.body for m in response.context["page"].object_list] == [
        "Open bericht over schuldhulpverlening"
    ]
    response = client.get(
        reverse("channels_app:search"), {"q": "schuld", "channel": closed_room.channel.pk}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "channel" in response.context["form"].errors


def test_search_filters_by_author_and_date(client, closed_room):
    post(closed_room, closed_room.owner, "Afspraak maandag")
    post(closed_room, closed_room.member, "Afspraak dinsdag")
    client.force_login(closed_room.member)
    url = reverse("channels_app:search")
    for name in ["Olga Eigenaar", "eigenaar", "OLGA", "olga eig"]:
        response = client.get(url, {"q": "afspraak", "author": name})
        assert [m.body for m in response.context["page"].object_list] == ["Afspraak maandag"]
    # every word must be in the name; a name nobody has finds nothing
    for name in ["Olga Lid", "Zeppelin"]:
        response = client.get(url, {"q": "afspraak", "author": name})
        assert response.status_code == HTTPStatus.OK
        assert list(response.context["page"].object_list) == []
    response = client.get(url, {"q": "afspraak", "author": "!!"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["author"] == ["Typ minstens één woord."]
    # the author's name does not open the closed channel to an outsider
    client.force_login(closed_room.outsider)
    response = client.get(url, {"q": "afspraak", "author": "Olga Eigenaar"})
    assert list(response.context["page"].object_list) == []
    assert "Afspraak maandag" not in response.content.decode()
    response = client.get(
        reverse("channels_app:search"),
        {"q": "afspraak", "date_from": "2030-01-02", "date_to": "2030-01-01"},
    )
    assert "date_to" in response.context["form"].errors


def test_search_uses_dutch_stemming(client, closed_room):
    post(closed_room, closed_room.owner, "De huisartsen overleggen morgen")
    client.force_login(closed_room.member)
    response = client.get(reverse("channels_app:search"), {"q": "huisarts"})
    assert len(response.context["page"].object_list) == 1
    assert "<mark>" in response.content.decode()


def test_search_follows_edits_and_deletions(client, closed_room):
    """The search vector is a generated column: PostgreSQL keeps it with the body."""
    message = post(closed_room, closed_room.owner, "Afspraak bij de huisarts")
    client.force_login(closed_room.member)
    url = reverse("channels_app:search")

    def found(words):
        return [m.pk for m in client.get(url, {"q": words}).context["page"].object_list]

    assert found("huisarts") == [message.pk]
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.edit_message(message, by=closed_room.owner, body="Afspraak bij de apotheek")
    assert found("huisarts") == [] and found("apotheek") == [message.pk]
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.delete_message(message, by=closed_room.owner)
    assert found("apotheek") == [] and found("afspraak") == []


def test_reports_go_to_the_moderators(client, closed_room):
    message = post(closed_room, closed_room.member, "Iets ongepasts")
    client.force_login(closed_room.outsider)
    url = reverse("channels_app:report", args=[closed_room.channel.pk, message.pk])
    assert client.post(url, {"reason": "spam"}).status_code == HTTPStatus.NOT_FOUND
    client.force_login(closed_room.member)
    client.post(url, {"reason": ""})
    assert not Notification.objects.filter(kind="report").exists()
    client.post(url, {"reason": "Dit hoort hier niet"})
    assert list(Notification.objects.filter(kind="report").values_list("user", flat=True)) == [
        closed_room.owner.pk
    ]


def test_pages_of_verified_professionals_keep_their_badges_live(client, closed_room):
    """Only they may open the socket, so only their pages ask the script to open it."""
    room = closed_room
    post(room, room.owner, "@Mark Lid welkom")
    client.force_login(room.member)
    page = client.get(reverse("channels_app:index")).content.decode()
    assert f'data-live-socket="true" data-user="{room.member.pk}"' in page
    counts = 'data-last-seq="1" data-last-read-seq="0" data-mentions="1"'
    assert f'data-room="{room.channel.pk}" {counts}' in page
    assert 'data-notification-count="2"' in page  # the invitation and the mention
    client.force_login(room.unverified)
    page = client.get(reverse("directory:profile_edit")).content.decode()
    assert "data-live-socket" not in page


def test_search_shows_results_as_messages_with_the_words_marked(client, closed_room):
    services.post_message(
        closed_room.channel.pk,
        author=closed_room.owner,
        body="Het is **dringend**: bel de [wijkagent](https://wijk.example/agent) vandaag.",
    )
    client.force_login(closed_room.member)
    page = client.get(reverse("channels_app:search"), {"q": "dringend"}).content.decode()
    # rendered as the message shows it, the word found marked in its text
    assert "<strong><mark>dringend</mark></strong>" in page
    assert "**" not in page and "](https" not in page
    assert (
        '<a href="https://wijk.example/agent" rel="noopener noreferrer nofollow">wijkagent</a>'
        in page
    )
    assert 'class="wijk-message__avatar"' in page
    # the channel and the message open where they are
    assert f'href="/channels/{closed_room.channel.pk}/"' in page
    assert f'href="/channels/{closed_room.channel.pk}/m/1/"' in page
    # of a long message a fragment around the word, as plain text: no Markdown cut in half
    services.post_message(
        closed_room.channel.pk,
        author=closed_room.owner,
        body="**Verslag** " + "van het wijkoverleg " * 60 + "met de **huisartsen**.",
    )
    page = client.get(reverse("channels_app:search"), {"q": "huisartsen"}).content.decode()
    assert "<mark>huisartsen</mark>" in page and "**" not in page
    nothing = client.get(reverse("channels_app:search"), {"q": "onvindbaar"}).content.decode()
    assert "Geen berichten gevonden" in nothing or "0 berichten gevonden" in nothing


@pytest.mark.parametrize(
    "dates",
    [
        {"date_to": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"date_from": "0001-01-01", "date_to": "9999-12-31"},
    ],
)
def test_search_takes_the_first_and_last_days_there_are(client, closed_room, dates):
    post(closed_room, closed_room.owner, "Afspraak maandag")
    client.force_login(closed_room.member)
    response = client.get(reverse("channels_app:search"), {"q": "afspraak", **dates})
    assert response.status_code == HTTPStatus.OK
    assert [m.body for m in response.context["page"].object_list] == ["Afspraak maandag"]


@pytest.mark.parametrize("name", ["channels_app:switcher", "channels_app:people"])
def test_a_nul_typed_in_a_name_box_finds_nothing_and_breaks_nothing(client, closed_room, name):
    client.force_login(closed_room.owner)
    args = [closed_room.channel.pk] if name == "channels_app:people" else []
    response = client.get(reverse(name, args=args), {"q": "Mark\x00"})
    assert response.status_code == HTTPStatus.OK
