"""Compute the quarterly figures from the platform's activity, counts only.

Definitions (also on the dashboard and in the README):

- A professional's *domains* are the domains of their disciplines. The *medical side* is
  medical, mental health and elderly care; the *social side* is social, youth and debt. Someone
  whose disciplines lie on both sides counts on both.
- *Active professional*: posted a message (in any channel or direct conversation), read a
  knowledge article, commented, or registered for a learning session in the quarter.
- *New cross-domain connection*: a pair of professionals, one on the medical and one on the
  social side, whose first contact on the platform falls in the quarter. A contact is a
  message in a direct conversation they are both in, or a reply by one to the other's message
  in a shared channel. Counted once, in the quarter of the first contact.
- *Messages in channels spanning both domains*: messages (not deleted) in open and closed
  channels that, at the end of the quarter, had members on both sides.
- *Cross-domain case rooms opened / closed*: rooms whose coordinator and joined members
  together have disciplines in two or more domains, counted in the quarter they were opened
  and in the quarter they were closed.
- *Knowledge articles read*: articles opened, once per reader and article, in the quarter of
  the first reading, by the reader's domains.
- *Learning sessions*: confirmed registrations for (and attendance marked at) sessions held in
  the quarter.
- Neighbourhoods: a person counts in every neighbourhood they serve; a connection in every
  neighbourhood either person serves; a channel's messages in the channel's neighbourhoods; a
  case room in every neighbourhood one of its members serves.
  The whole region counts everyone once.

Nothing here reads case-room content: case rooms contribute only when they were opened and
closed and the domains of their members.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations

from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from channels_app.models import Channel, Message
from channels_app.models import Membership as ChannelMembership
from directory.models import Domain, Professional
from insights.models import ComputedQuarter, Figure, Metric
from insights.quarters import Quarter
from knowledge.models import ArticleRead, Comment, Registration
from privacy.models import CaseMember, CaseRoom

MEDICAL_SIDE = Domain.medical_side()
SOCIAL_SIDE = frozenset(Domain.values) - MEDICAL_SIDE

#: (neighbourhood id or None for the region, domain or "" for all domains) → count
Counts = Counter[tuple[int | None, str]]


@dataclass
class People:
    """What the figures need to know of each professional: domains and neighbourhoods."""

    domains: dict[int, frozenset[str]]
    neighbourhoods: dict[int, frozenset[int]]

    @classmethod
    def load(cls) -> People:
        domains: dict[int, set[str]] = defaultdict(set)
        neighbourhoods: dict[int, set[int]] = defaultdict(set)
        for user_id, domain in Professional.objects.values_list(
            "user_id", "disciplines__domain"
        ).order_by():
            domains.setdefault(user_id, set())  # with or without disciplines
            if domain:
                domains[user_id].add(domain)
        for user_id, neighbourhood_id in (
            Professional.objects.filter(neighbourhoods__isnull=False)
            .values_list("user_id", "neighbourhoods")
            .order_by()
        ):
            neighbourhoods[user_id].add(neighbourhood_id)
        return cls(
            {user: frozenset(d) for user, d in domains.items()},
            {user: frozenset(n) for user, n in neighbourhoods.items()},
        )

    def places(self, *user_ids: int) -> tuple[int | None, ...]:
        """The region and every neighbourhood any of ``user_ids`` serves."""
        served: set[int] = set()
        for user_id in user_ids:
            served |= self.neighbourhoods.get(user_id, frozenset())
        return (None, *sorted(served))

    def medical(self, user_id: int) -> bool:
        return bool(self.domains.get(user_id, frozenset()) & MEDICAL_SIDE)

    def social(self, user_id: int) -> bool:
        return bool(self.domains.get(user_id, frozenset()) & SOCIAL_SIDE)

    def cross_domain(self, first: int, second: int) -> bool:
        return (self.medical(first) and self.social(second)) or (
            self.social(first) and self.medical(second)
        )


def count_people(user_ids: Iterable[int], people: People) -> Counts:
    """Each professional once per place, once in total and once per domain of theirs."""
    return count_weighted(Counter(set(user_ids)), people)


def count_weighted(weights: Counter[int], people: People, *, by_domain: bool = True) -> Counts:
    """``weights[user]`` in every place the user serves, in total and per domain of theirs."""
    counts: Counts = Counter()
    for user_id, weight in weights.items():
        if user_id not in people.domains:
            continue  # not a professional (an administrator, say)
        for place in people.places(user_id):
            counts[place, ""] += weight
            if by_domain:
                for domain in people.domains[user_id]:
                    counts[place, domain] += weight
    return counts


# --- activity ---------------------------------------------------------------------------------

ActivitySource = Callable[[datetime, datetime], Iterable[int]]


def _message_authors(start: datetime, end: datetime) -> Iterable[int]:
    return (
        Message.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values_list("author_id", flat=True)
        .distinct()
    )


def _readers(start: datetime, end: datetime) -> Iterable[int]:
    reads = ArticleRead.objects.filter(read_at__gte=start, read_at__lt=end)
    return reads.order_by().values_list("user_id", flat=True).distinct()


def _commenters(start: datetime, end: datetime) -> Iterable[int]:
    comments = Comment.objects.filter(created_at__gte=start, created_at__lt=end)
    return comments.order_by().values_list("author_id", flat=True).distinct()


def _registrants(start: datetime, end: datetime) -> Iterable[int]:
    registrations = Registration.objects.filter(queued_at__gte=start, queued_at__lt=end)
    return registrations.order_by().values_list("user_id", flat=True).distinct()


#: who did something in ``[start, end)``
ACTIVITY_SOURCES: list[ActivitySource] = [_message_authors, _readers, _commenters, _registrants]


def active_professionals(quarter: Quarter, people: People) -> Counts:
    active: set[int] = set()
    for source in ACTIVITY_SOURCES:
        active.update(source(quarter.start, quarter.end))
    return count_people(active, people)


# --- cross-domain connections -----------------------------------------------------------------


def first_contacts(before: datetime) -> dict[tuple[int, int], datetime]:
    """Every pair of people who have been in contact before ``before``, with the first time."""
    firsts: dict[tuple[int, int], datetime] = {}

    def note(first: int, second: int, when: datetime) -> None:
        if first == second:
            return
        pair = (min(first, second), max(first, second))
        if pair not in firsts or when < firsts[pair]:
            firsts[pair] = when

    replies = (
        Message.objects.filter(parent__isnull=False, created_at__lt=before)
        .exclude(channel__kind=Channel.Kind.DIRECT)
        .order_by()
        .values("author_id", "parent__author_id")
        .annotate(first=Min("created_at"))
    )
    for row in replies:
        note(row["author_id"], row["parent__author_id"], row["first"])

    conversations = dict(
        Message.objects.filter(channel__kind=Channel.Kind.DIRECT, created_at__lt=before)
        .order_by()
        .values("channel_id")
        .annotate(first=Min("created_at"))
        .values_list("channel_id", "first")
    )
    members: dict[int, list[int]] = defaultdict(list)
    for channel_id, user_id in ChannelMembership.objects.filter(
        channel_id__in=conversations
    ).values_list("channel_id", "user_id"):
        members[channel_id].append(user_id)
    for channel_id, first in conversations.items():
        for one, other in combinations(members[channel_id], 2):
            note(one, other, first)
    return firsts


def cross_domain_connections(quarter: Quarter, people: People) -> Counts:
    counts: Counts = Counter()
    for (one, other), first in first_contacts(quarter.end).items():
        if first >= quarter.start and people.cross_domain(one, other):
            for place in people.places(one, other):
                counts[place, ""] += 1
    return counts


def cross_domain_channel_messages(quarter: Quarter, people: People) -> Counts:
    members: dict[int, list[int]] = defaultdict(list)
    for channel_id, user_id in ChannelMembership.objects.filter(
        channel__kind__in=[Channel.Kind.OPEN, Channel.Kind.CLOSED], joined_at__lt=quarter.end
    ).values_list("channel_id", "user_id"):
        members[channel_id].append(user_id)
    spanning = [
        channel_id
        for channel_id, users in members.items()
        if any(people.medical(u) for u in users) and any(people.social(u) for u in users)
    ]
    places: dict[int, list[int]] = defaultdict(list)
    for channel_id, neighbourhood_id in Channel.neighbourhoods.through.objects.filter(
        channel_id__in=spanning
    ).values_list("channel_id", "neighbourhood_id"):
        places[channel_id].append(neighbourhood_id)
    counts: Counts = Counter()
    messages = (
        Message.objects.filter(
            channel_id__in=spanning,
            created_at__gte=quarter.start,
            created_at__lt=quarter.end,
            deleted_at__isnull=True,
        )
        .order_by()
        .values("channel_id")
        .annotate(n=Count("id"))
        .values_list("channel_id", "n")
    )
    for channel_id, number in messages:
        for place in (None, *places[channel_id]):
            counts[place, ""] += number
    return counts


# --- knowledge and learning sessions ------------------------------------------------------


def articles_read(quarter: Quarter, people: People) -> Counts:
    """Articles read, once per reader and article, by the readers' places and domains."""
    reads = Counter(
        ArticleRead.objects.filter(read_at__gte=quarter.start, read_at__lt=quarter.end)
        .order_by()
        .values_list("user_id", flat=True)
    )
    return count_weighted(reads, people)


def _registrations(quarter: Quarter):
    """Confirmed registrations for sessions held (not cancelled) in the quarter."""
    return Registration.objects.filter(
        status=Registration.Status.CONFIRMED,
        session__starts_at__gte=quarter.start,
        session__starts_at__lt=quarter.end,
        session__cancelled_at=None,
    ).order_by()


def session_registrations(quarter: Quarter, people: People) -> Counts:
    registrants = Counter(_registrations(quarter).values_list("user_id", flat=True))
    return count_weighted(registrants, people, by_domain=False)


def session_attendance(quarter: Quarter, people: People) -> Counts:
    attended = _registrations(quarter).filter(attended=True).values_list("user_id", flat=True)
    return count_weighted(Counter(attended), people, by_domain=False)


# --- case rooms: only when they opened and closed, and who took part -----------------------


def _cross_domain_rooms(rooms, people: People) -> Counts:
    """Rooms whose members come from two or more domains, in every place a member serves."""
    rooms = dict(rooms.order_by().values_list("pk", "coordinator_id"))
    members: dict[int, set[int]] = defaultdict(set)
    for room_id, coordinator_id in rooms.items():
        members[room_id].add(coordinator_id)
    joined = CaseMember.objects.filter(room_id__in=rooms, joined_at__isnull=False)
    for room_id, user_id in joined.values_list("room_id", "user_id"):
        members[room_id].add(user_id)
    counts: Counts = Counter()
    for users in members.values():
        domains = set().union(*(people.domains.get(user, frozenset()) for user in users))
        if len(domains) >= 2:
            for place in people.places(*users):
                counts[place, ""] += 1
    return counts


def case_rooms_opened(quarter: Quarter, people: People) -> Counts:
    opened = CaseRoom.objects.filter(created_at__gte=quarter.start, created_at__lt=quarter.end)
    return _cross_domain_rooms(opened, people)


def case_rooms_closed(quarter: Quarter, people: People) -> Counts:
    closed = CaseRoom.objects.filter(closed_at__gte=quarter.start, closed_at__lt=quarter.end)
    return _cross_domain_rooms(closed, people)


MetricFunction = Callable[[Quarter, People], Counts]

#: every metric and how to compute it
METRICS: dict[str, MetricFunction] = {
    Metric.ACTIVE_PROFESSIONALS: active_professionals,
    Metric.CROSS_DOMAIN_CONNECTIONS: cross_domain_connections,
    Metric.CROSS_DOMAIN_CHANNEL_MESSAGES: cross_domain_channel_messages,
    Metric.CASE_ROOMS_OPENED: case_rooms_opened,
    Metric.CASE_ROOMS_CLOSED: case_rooms_closed,
    Metric.ARTICLES_READ: articles_read,
    Metric.SESSION_REGISTRATIONS: session_registrations,
    Metric.SESSION_ATTENDANCE: session_attendance,
}

#: when the earliest activity of each source happened, to know where the figures start
EARLIEST: list[Callable[[], datetime | None]] = [
    lambda: Message.objects.order_by().aggregate(first=Min("created_at"))["first"],
    lambda: ArticleRead.objects.order_by().aggregate(first=Min("read_at"))["first"],
    lambda: Registration.objects.order_by().aggregate(first=Min("queued_at"))["first"],
    lambda: CaseRoom.objects.order_by().aggregate(first=Min("created_at"))["first"],
]


def first_quarter() -> Quarter:
    moments = [moment for moment in (earliest() for earliest in EARLIEST) if moment]
    return Quarter.of(min(moments)) if moments else Quarter.current()


def compute_quarter(quarter: Quarter, people: People | None = None) -> int:
    """Replace the quarter's figures; return how many non-zero figures were stored."""
    people = people or People.load()
    figures = [
        Figure(quarter=str(quarter), metric=name, neighbourhood_id=place, domain=domain, value=n)
        for name, function in METRICS.items()
        for (place, domain), n in function(quarter, people).items()
        if n
    ]
    now = timezone.now()
    with transaction.atomic():
        Figure.objects.filter(quarter=str(quarter)).delete()
        Figure.objects.bulk_create(figures)
        ComputedQuarter.objects.update_or_create(
            quarter=str(quarter), defaults={"computed_at": now, "final": now >= quarter.end}
        )
    return len(figures)
