"""iCalendar per session and the personal feed behind a secret address, parsed by icalendar."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from icalendar import Calendar

from knowledge import services
from knowledge.models import CalendarFeed
from tests.knowledge.fixtures import make_session

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
