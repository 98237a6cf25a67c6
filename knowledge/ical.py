"""iCalendar (RFC 5545) files for learning sessions, built with the icalendar library."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from core.links import absolute_url
from core.rendering import markdown_to_text
from knowledge.models import LearningSession

PRODID = "-//Wijkplatform//Leersessies//NL"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(session: LearningSession, *, online_link: bool) -> Event:
    """One VEVENT; the online link only when ``online_link`` (access.shows_online_link).

    Calendar apps show DESCRIPTION as plain text: the session's Markdown goes in as the text it
    reads as, followed by the session's page."""
    event = Event()
    event.add("uid", f"{session.uid}@wijkplatform")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("summary", session.title)
    event.add("sequence", session.sequence)
    link = session.online_url if online_link else ""
    place = session.location or link or ("Online" if session.online_url else "")
    if place:
        event.add("location", place)
    url = absolute_url(reverse("knowledge:session", args=[session.pk]))
    event.add("url", url)
    description = markdown_to_text(session.description)
    if link:
        description = f"{description}\n\n{link}"
    event.add("description", f"{description}\n\n{url}".strip())
    event.add("status", "CANCELLED" if session.cancelled_at else "CONFIRMED")
    return event


def session_calendar(session: LearningSession, *, online_link: bool) -> bytes:
    calendar = _calendar(session.title)
    calendar.add("method", "PUBLISH")
    calendar.add_component(_event(session, online_link=online_link))
    return calendar.to_ical()


def feed_calendar(sessions: Iterable[tuple[LearningSession, bool]]) -> bytes:
    """The feed of (session, whether the online link goes in) pairs."""
    calendar = _calendar(f"{settings.SITE_NAME} — leersessies")
    for session, online_link in sessions:
        calendar.add_component(_event(session, online_link=online_link))
    return calendar.to_ical()
