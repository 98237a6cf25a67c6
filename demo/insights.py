"""A year of fictional activity, so the coalition dashboard shows trends in the demo.

Backdated direct conversations and thread replies between the demo professionals of the
medical and the social domain, growing quarter by quarter, then the figures computed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import count

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from channels_app import services
from channels_app.models import Channel, Membership, Message
from core.rendering import render_markdown
from demo import reach as reach_demo
from insights.compute import People, compute_quarter, first_quarter
from insights.quarters import Quarter, quarters_between
from insights.reach import compute_reach
from knowledge.models import Article, ArticleRead, LearningSession, Registration

NAMESPACE = uuid.UUID("6f1f3c52-35c5-4b7e-9a55-0d7c1e0c2a11")
HISTORY_MARKER = uuid.uuid5(NAMESPACE, "history-0")

#: per quarter, oldest first (the last is the current quarter so far): new direct
#: conversations between the domains, and thread replies in the shared channels
GROWTH = [(3, 18), (5, 30), (8, 46), (11, 64), (6, 34)]

OPENERS = [
    "Mag ik je even bellen over een gezamenlijke inwoner? Het gaat om een doorverwijzing.",
    "Zou je aan kunnen sluiten bij het wijkoverleg van volgende week?",
    "Ik heb een vraag over de aanmelding bij jullie spreekuur.",
    "Dank voor de snelle reactie van vorige week, dat heeft goed geholpen.",
    "Kunnen we afstemmen wie het eerste gesprek voert?",
]
TOPICS = [
    "Wie heeft ervaring met vroegsignalering van betalingsachterstanden bij ouderen?",
    "Tip: de inloop bij het buurthuis is verplaatst naar dinsdagochtend.",
    "Hoe pakken jullie eenzaamheid aan bij mensen die net mantelzorger zijn geworden?",
    "Nieuwe folder over de formulierenbrigade ligt bij de huisartsenpraktijken.",
    "Wie kent een laagdrempelig beweegaanbod voor mensen met weinig geld?",
]
REPLIES = [
    "Goede vraag, wij verwijzen dan door naar het sociaal wijkteam.",
    "Bij ons loopt dat via het spreekuur op woensdag, ik stuur je de gegevens.",
    "Herkenbaar. Laten we het meenemen naar het volgende overleg.",
    "Dank, dit deel ik met mijn collega's.",
    "Wij hebben daar goede ervaringen mee, bel gerust even.",
]


def _store(
    serial: Iterator[int],
    channel: Channel,
    author: User,
    body: str,
    when: datetime,
    parent: Message | None = None,
) -> Message:
    channel.last_seq += 1
    message = Message.objects.create(
        channel=channel,
        seq=channel.last_seq,
        author=author,
        client_id=uuid.uuid5(NAMESPACE, f"history-{next(serial)}"),
        body=body,
        body_html=render_markdown(body, chat=True),
        parent=parent,
        created_at=when,
    )
    if parent is not None:
        Message.objects.filter(pk=parent.pk).update(reply_count=F("reply_count") + 1)
    return message


def _moment(rng: random.Random, quarter: Quarter, until: datetime) -> datetime:
    span = (min(quarter.end, until) - quarter.start).total_seconds()
    moment = quarter.start + timedelta(seconds=rng.uniform(0, span * 0.95))
    # working hours on a weekday
    moment = moment.replace(hour=rng.randint(8, 15), minute=rng.randint(0, 59))
    while moment.weekday() >= 5:
        moment -= timedelta(days=1)
    return min(max(moment, quarter.start + timedelta(hours=9)), until - timedelta(hours=3))


def _renumber(channel: Channel) -> None:
    """Sequence numbers in the order the messages were written, as if posted live."""
    ordered = list(channel.messages.order_by("created_at", "pk").values_list("pk", flat=True))
    channel.messages.update(seq=F("seq") + 1_000_000)
    for seq, pk in enumerate(ordered, start=1):
        Message.objects.filter(pk=pk).update(seq=seq)
    last = channel.messages.order_by("-created_at").values_list("created_at", flat=True).first()
    Channel.objects.filter(pk=channel.pk).update(last_seq=len(ordered), last_message_at=last)
    # the history has been read: no flood of unread badges in the demo
    Membership.objects.filter(channel=channel).update(last_read_seq=len(ordered))


@transaction.atomic
def generate_history(now: datetime | None = None) -> int:
    """Create the backdated activity once; return how many messages were added."""
    if Message.objects.filter(client_id=HISTORY_MARKER).exists():
        return 0
    serial = count()
    now = now or timezone.now()
    rng = random.Random(2026)
    people = People.load()
    verified = list(User.objects.filter(professional__verified=True).order_by("pk"))
    medical = [u for u in verified if people.medical(u.pk) and not people.social(u.pk)]
    social = [u for u in verified if people.social(u.pk) and not people.medical(u.pk)]
    shared = list(
        Channel.objects.filter(kind__in=[Channel.Kind.OPEN, Channel.Kind.CLOSED]).order_by("pk")
    )
    if not medical or not social or not shared:
        return 0
    members = {
        channel.pk: list(
            User.objects.filter(channel_memberships__channel=channel, pk__in=list(people.domains))
        )
        for channel in shared
    }
    current = Quarter.of(now)
    quarters = [current]
    while len(quarters) < len(GROWTH):
        quarters.insert(0, quarters[0].previous())
    # the shared channels and their members were there from the start of the year
    opened = quarters[0].start - timedelta(days=30)
    Channel.objects.filter(pk__in=[c.pk for c in shared], created_at__gt=opened).update(
        created_at=opened
    )
    Membership.objects.filter(channel__in=shared, joined_at__gt=opened).update(joined_at=opened)
    pairs = [(m, s) for m in medical for s in social]
    rng.shuffle(pairs)
    added = 0
    touched: dict[int, Channel] = {}
    for quarter, (conversations, replies) in zip(quarters, GROWTH, strict=True):
        for _ in range(conversations):
            if not pairs:
                break
            one, other = pairs.pop()
            channel = services.direct_channel(by=one, others=[other])
            channel = touched.setdefault(channel.pk, channel)
            _store(serial, channel, one, rng.choice(OPENERS), _moment(rng, quarter, now))
            added += 1
        for index in range(replies):
            channel = touched.setdefault(
                shared[index % len(shared)].pk, shared[index % len(shared)]
            )
            if len(members[channel.pk]) < 2:
                continue
            when = _moment(rng, quarter, now)
            asker, answerer = rng.sample(members[channel.pk], 2)
            topic = _store(serial, channel, asker, rng.choice(TOPICS), when)
            _store(serial, channel, answerer, rng.choice(REPLIES), when + timedelta(hours=2), topic)
            added += 2
    for channel in touched.values():
        _renumber(channel)
    return added


#: per quarter, oldest first: article readers, and the past learning session's registrations
LEARNING = [(8, 6), (14, 9), (22, 12), (30, 15), (18, 0)]
PAST_SESSION = "Terugblik: leersessie samenwerken in de wijk"


@transaction.atomic
def generate_learning_history(now: datetime | None = None) -> int:
    """Backdated reading and one past learning session per quarter; once."""
    if LearningSession.objects.filter(title__startswith=PAST_SESSION).exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(2027)
    trainer = User.objects.filter(groups__name="trainer").order_by("pk").first()
    readers = list(User.objects.filter(professional__verified=True).order_by("pk"))
    articles = list(Article.objects.filter(status=Article.Status.PUBLISHED).order_by("pk"))
    if trainer is None or not readers or not articles:
        return 0
    quarters = [Quarter.of(now)]
    while len(quarters) < len(LEARNING):
        quarters.insert(0, quarters[0].previous())
    added = 0
    for index, (quarter, (reading, registered)) in enumerate(zip(quarters, LEARNING, strict=True)):
        reads = [
            ArticleRead(article=article, user=user, read_at=_moment(rng, quarter, now))
            for user in rng.sample(readers, min(reading, len(readers)))
            for article in rng.sample(articles, rng.randint(1, len(articles)))
        ]
        added += len(ArticleRead.objects.bulk_create(reads, ignore_conflicts=True))
        if not registered:
            continue
        starts = _moment(rng, quarter, now).replace(hour=14, minute=0)
        session = LearningSession.objects.create(
            title=f"{PAST_SESSION} ({quarter.label})",
            description="Professionals uit zorg en sociaal domein oefenen met casussen.",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            location="Wijkcentrum Hoensbroek",
            capacity=20,
            registration_deadline=starts - timedelta(days=1),
            created_by=trainer,
        )
        for position, user in enumerate(rng.sample(readers, registered)):
            Registration.objects.create(
                session=session,
                user=user,
                status=Registration.Status.CONFIRMED,
                queued_at=starts - timedelta(days=10, hours=position),
                attended=position % 5 != index % 5,
            )
    return added


def seed() -> dict[str, int]:
    added = generate_history()
    added += generate_learning_history()
    onboarding = reach_demo.seed()
    people = People.load()
    quarters = quarters_between(first_quarter(), Quarter.current())
    for quarter in quarters:
        compute_quarter(quarter, people)
        compute_reach(quarter, people)
    return {
        "demo activities for the insights": added,
        "quarters of insights": len(quarters),
        **onboarding,
    }
