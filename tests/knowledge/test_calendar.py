"""iCalendar per session and the personal feed behind a secret address, parsed by icalendar."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from icalendar import Calendar

from knowledge import services
from knowledge.models import CalendarFeed
from tests.knowledge.fixtures import make_session, verified

pytestmark = pytest.mark.django_db


def _events(content: bytes):
    calendar = Calendar.from_ical(content)
    assert calendar["VERSION"] == "2.0"
    return list(calendar.walk("VEVENT"))


def test_a_session_downloads_as_a_valid_icalendar_file(client, trainer, colleague):
    session = make_session(trainer, title="Privacy; casussen, deel 1", location="Zaal 2, Heerlen")
    client.force_login(colleague)
    response = client.get(f"/knowledge/sessions/{session.pk}/session.ics")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/calendar")
    [event] = _events(response.content)
    assert str(event["SUMMARY"]) == "Privacy; casussen, deel 1"
    assert str(event["LOCATION"]) == "Zaal 2, Heerlen"
    assert event.decoded("DTSTART") == session.starts_at.replace(microsecond=0)
    assert event.decoded("DTEND") == session.ends_at.replace(microsecond=0)
    assert str(event["UID"]) == f"{session.uid}@wijkplatform"
    assert str(event["URL"]).endswith(f"/knowledge/sessions/{session.pk}/")


def test_the_description_is_plain_text_with_the_sessions_address(
    client, settings, trainer, colleague
):
    settings.SITE_URL = "https://wijk.example.nl"
    description = (
        "## Programma\n\nWe oefenen met **het spinnenweb** van "
        "[Positieve Gezondheid](https://iph.nl).\n\n- je eigen casus\n- een pen"
    )
    session = make_session(trainer, description=description)
    client.force_login(colleague)
    response = client.get(f"/knowledge/sessions/{session.pk}/session.ics")
    [event] = _events(response.content)
    address = f"https://wijk.example.nl/knowledge/sessions/{session.pk}/"
    assert str(event["DESCRIPTION"]) == (
        "Programma\n\nWe oefenen met het spinnenweb van Positieve Gezondheid "
        f"(https://iph.nl).\n\n- je eigen casus\n- een pen\n\n{address}"
    )
    assert str(event["URL"]) == address
    # the feed, which calendar apps fetch without signing in, says the same
    services.register(session.pk, user=colleague)
    token = services.calendar_feed(colleague).token
    [in_feed] = _events(client.get(f"/knowledge/sessions/calendar/{token}.ics").content)
    assert str(in_feed["DESCRIPTION"]) == str(event["DESCRIPTION"])
    # and the page that gives the feed's address gives it on SITE_URL too
    page = client.get("/knowledge/sessions/calendar/")
    assert page.context["feed_url"] == (
        f"https://wijk.example.nl/knowledge/sessions/calendar/{token}.ics"
    )


def test_the_personal_feed_lists_my_sessions_behind_a_secret_address(client, trainer, colleague):
    mine = make_session(trainer, title="Mijn sessie")
    make_session(trainer, title="Andere sessie")
    services.register(mine.pk, user=colleague)
    client.force_login(colleague)
    page = client.get("/knowledge/sessions/calendar/")
    feed_url = page.context["feed_url"]
    token = CalendarFeed.objects.get(user=colleague).token
    assert token in feed_url
    client.logout()  # calendar apps do not sign in
    response = client.get(f"/knowledge/sessions/calendar/{token}.ics")
    assert response.status_code == HTTPStatus.OK
    assert [str(e["SUMMARY"]) for e in _events(response.content)] == ["Mijn sessie"]
    # the trainer's feed shows the sessions they train
    trainer_token = services.calendar_feed(trainer).token
    trainer_feed = client.get(f"/knowledge/sessions/calendar/{trainer_token}.ics")
    assert sorted(str(e["SUMMARY"]) for e in _events(trainer_feed.content)) == [
        "Andere sessie",
        "Mijn sessie",
    ]
    assert client.get("/knowledge/sessions/calendar/wrong-token.ics").status_code == 404


@pytest.mark.parametrize("token", ["ab%00cd", "ab%00", "a" * 65, "x" * 5000, "ab%20cd", "ab.cd"])
def test_an_address_that_cannot_be_a_token_is_not_found(client, colleague, token):
    services.calendar_feed(colleague)
    assert client.get(f"/knowledge/sessions/calendar/{token}.ics").status_code == 404


def test_a_new_address_retires_the_old_one(client, colleague):
    client.force_login(colleague)
    old = services.calendar_feed(colleague).token
    client.post("/knowledge/sessions/calendar/")
    new = CalendarFeed.objects.get(user=colleague).token
    assert new != old
    assert client.get(f"/knowledge/sessions/calendar/{old}.ics").status_code == 404
    assert client.get(f"/knowledge/sessions/calendar/{new}.ics").status_code == 200


def test_a_deactivated_user_loses_the_feed(client, colleague):
    token = services.calendar_feed(colleague).token
    colleague.is_active = False
    colleague.save()
    assert client.get(f"/knowledge/sessions/calendar/{token}.ics").status_code == 404


# ---- the online link: only for those the session page shows it to -------------------------

ONLINE = "https://meet.example/leersessie-42"


def _online_session(trainer):
    return make_session(trainer, title="Online sessie", location="", online_url=ONLINE)


def _feed(client, user) -> bytes:
    token = services.calendar_feed(user).token
    response = client.get(f"/knowledge/sessions/calendar/{token}.ics")
    assert response.status_code == HTTPStatus.OK
    return response.content


def _session_ics(client, user, session) -> bytes:
    client.force_login(user)
    response = client.get(f"/knowledge/sessions/{session.pk}/session.ics")
    assert response.status_code == HTTPStatus.OK
    return response.content


def test_it_leaves_the_online_link_out_for_someone_not_registered(client, trainer, colleague):
    session = _online_session(trainer)
    content = _session_ics(client, colleague, session)
    assert ONLINE.encode() not in content
    [event] = _events(content)
    assert str(event["LOCATION"]) == "Online"
    page = client.get(f"/knowledge/sessions/{session.pk}/")
    assert ONLINE not in page.content.decode()


def test_it_leaves_the_online_link_out_for_the_waiting_list(client, trainer, colleague):
    session = make_session(trainer, capacity=1, location="", online_url=ONLINE)
    services.register(session.pk, user=verified("Eerste Deelnemer"))
    services.register(session.pk, user=colleague)  # full: on the waiting list
    assert ONLINE.encode() not in _session_ics(client, colleague, session)
    page = client.get(f"/knowledge/sessions/{session.pk}/")
    assert ONLINE not in page.content.decode()


def test_it_gives_the_online_link_to_someone_registered(client, trainer, colleague):
    session = _online_session(trainer)
    services.register(session.pk, user=colleague)
    [event] = _events(_session_ics(client, colleague, session))
    assert ONLINE in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == ONLINE
    page = client.get(f"/knowledge/sessions/{session.pk}/")
    assert ONLINE in page.content.decode()


def test_it_gives_the_online_link_to_the_sessions_trainer(client, trainer):
    session = _online_session(trainer)
    assert ONLINE.encode() in _session_ics(client, trainer, session)
    assert ONLINE.encode() in _feed(client, trainer)


def test_the_feed_carries_the_link_only_for_a_confirmed_place(client, trainer, colleague):
    registered = _online_session(trainer)
    waiting = make_session(
        trainer, title="Vol", capacity=1, location="", online_url=ONLINE + "-vol"
    )
    services.register(registered.pk, user=colleague)
    services.register(waiting.pk, user=verified("Eerste Deelnemer"))
    services.register(waiting.pk, user=colleague)  # waiting list: not in the feed at all
    outsider = verified("Otto Buiten")
    assert _events(_feed(client, outsider)) == []

    [event] = _events(_feed(client, colleague))
    assert ONLINE in str(event["DESCRIPTION"])
    services.unregister(registered.pk, user=colleague)
    assert ONLINE.encode() not in _feed(client, colleague)


def test_a_trainer_who_lost_the_role_no_longer_gets_the_link_in_the_feed(client, trainer):
    session = _online_session(trainer)
    trainer.groups.remove(*trainer.groups.filter(name="trainer"))
    content = _feed(client, trainer)
    [event] = _events(content)  # still listed: they are among the session's trainers
    assert str(event["SUMMARY"]) == session.title
    assert ONLINE.encode() not in content
