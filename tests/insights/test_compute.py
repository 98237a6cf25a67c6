"""The figures on constructed data: exact counts, the definitions, quarter boundaries."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from channels_app.models import Channel
from insights.compute import People, compute_quarter
from insights.models import ComputedQuarter, Figure, Metric
from insights.quarters import Quarter
from tests.insights.conftest import at, room, say

pytestmark = pytest.mark.django_db

OPEN, DIRECT = Channel.Kind.OPEN, Channel.Kind.DIRECT


@pytest.fixture
def activity(people):
    p = people
    # Q1: the GP and the debt counsellor talk directly for the first time
    gp_counsellor = room(DIRECT, p["gp"], p["counsellor"])
    say(gp_counsellor, p["gp"], at(2026, 2, 10))
    # Q2: they talk again: not a new connection
    say(gp_counsellor, p["counsellor"], at(2026, 4, 3))
    # Q2: in a Hoensbroek channel the nurse asks, the counsellor and the GP reply
    wijk = room(OPEN, p["gp"], p["nurse"], p["counsellor"], name="Wijk", places=[p["hoensbroek"]])
    question = say(wijk, p["nurse"], at(2026, 4, 5))
    say(wijk, p["counsellor"], at(2026, 5, 1), parent=question)  # cross-domain: new
    say(wijk, p["gp"], at(2026, 5, 2), parent=question)  # medical with medical: not counted
    say(wijk, p["gp"], at(2026, 5, 3), deleted_at=at(2026, 5, 3, 13))  # deleted: not counted
    # a channel of doctors only does not span both domains
    doctors = room(OPEN, p["gp"], p["nurse"], name="Artsen")
    say(doctors, p["nurse"], at(2026, 5, 4))
    # a channel that spans both domains only from Q3, when the counsellor joined
    later = room(OPEN, p["gp"], name="Later")
    room_member = later.memberships.model
    room_member.objects.create(channel=later, user=p["counsellor"], joined_at=at(2026, 7, 2))
    say(later, p["gp"], at(2026, 6, 1))
    say(later, p["gp"], at(2026, 7, 3))
    # the nurse and the welfare worker: the last evening of Q2, local time
    nurse_welfare = room(DIRECT, p["nurse"], p["welfare"])
    say(nurse_welfare, p["welfare"], at(2026, 6, 30, 23, 30))
    # the welfare worker and the GP: just after midnight, so Q3
    welfare_gp = room(DIRECT, p["welfare"], p["gp"])
    say(welfare_gp, p["welfare"], at(2026, 7, 1, 0, 30))
    # an administrator without a professional profile is never counted
    say(wijk, p["admin"], at(2026, 5, 5))
    return p


def figures(quarter: str, metric: str) -> dict[tuple[str | None, str], int]:
    return {
        (f.neighbourhood.slug if f.neighbourhood else None, f.domain): f.value
        for f in Figure.objects.filter(quarter=quarter, metric=metric).select_related(
            "neighbourhood"
        )
    }


def test_active_professionals_per_domain_and_neighbourhood(activity):
    compute_quarter(Quarter(2026, 2))
    assert figures("2026Q2", Metric.ACTIVE_PROFESSIONALS) == {
        (None, ""): 4,
        (None, "medical"): 2,
        (None, "debt"): 1,
        (None, "social"): 1,
        ("hoensbroek", ""): 2,
        ("hoensbroek", "medical"): 1,
        ("hoensbroek", "debt"): 1,
        ("heerlen-noord", ""): 2,
        ("heerlen-noord", "medical"): 1,
        ("heerlen-noord", "social"): 1,
    }


def test_a_cross_domain_connection_counts_once_in_the_quarter_of_first_contact(activity):
    for number in (1, 2, 3):
        compute_quarter(Quarter(2026, number))
    assert figures("2026Q1", Metric.CROSS_DOMAIN_CONNECTIONS) == {
        (None, ""): 1,
        ("hoensbroek", ""): 1,
    }
    # nurse–counsellor by a reply in a shared channel, nurse–welfare directly; the GP and the
    # counsellor met in Q1 already; GP–nurse are both medical
    assert figures("2026Q2", Metric.CROSS_DOMAIN_CONNECTIONS) == {
        (None, ""): 2,
        ("hoensbroek", ""): 1,
        ("heerlen-noord", ""): 2,
    }
    assert figures("2026Q3", Metric.CROSS_DOMAIN_CONNECTIONS) == {
        (None, ""): 1,
        ("hoensbroek", ""): 1,
        ("heerlen-noord", ""): 1,
    }


def test_messages_count_only_in_channels_spanning_both_domains_at_quarter_end(activity):
    compute_quarter(Quarter(2026, 2))
    compute_quarter(Quarter(2026, 3))
    # Wijk: question, two replies and the administrator's message; the deleted one is left out
    assert figures("2026Q2", Metric.CROSS_DOMAIN_CHANNEL_MESSAGES) == {
        (None, ""): 4,
        ("hoensbroek", ""): 4,
    }
    # "Later" spans both domains from Q3 on, and has no neighbourhood
    assert figures("2026Q3", Metric.CROSS_DOMAIN_CHANNEL_MESSAGES) == {(None, ""): 1}


def test_zero_figures_are_not_stored_and_recomputing_replaces(activity):
    assert compute_quarter(Quarter(2025, 4)) == 0
    assert not Figure.objects.filter(quarter="2025Q4").exists()
    first = compute_quarter(Quarter(2026, 2))
    assert compute_quarter(Quarter(2026, 2), People.load()) == first
    assert Figure.objects.filter(quarter="2026Q2").count() == first


def test_the_command_computes_every_quarter_once_and_then_only_open_ones(activity):
    out = StringIO()
    call_command("compute_insights", stdout=out)
    current = Quarter.current()
    computed = list(ComputedQuarter.objects.values_list("quarter", "final"))
    assert computed[0] == ("2026Q1", True)
    assert computed[-1] == (str(current), False)
    assert all(final for quarter, final in computed[:-1])

    # new activity in a final quarter is not picked up by the routine run ...
    say(Channel.objects.get(name="Wijk"), activity["gp"], at(2026, 2, 20))
    out = StringIO()
    call_command("compute_insights", stdout=out)
    recomputed = [line.split(":")[0] for line in out.getvalue().splitlines()[:-1]]
    assert recomputed == [str(current)]
    assert figures("2026Q1", Metric.CROSS_DOMAIN_CHANNEL_MESSAGES) == {}
    # ... but by asking for that quarter
    call_command("compute_insights", quarter=["2026Q1"], stdout=StringIO())
    assert figures("2026Q1", Metric.CROSS_DOMAIN_CHANNEL_MESSAGES) == {
        (None, ""): 1,
        ("hoensbroek", ""): 1,
    }


@pytest.mark.parametrize("text", ["2026Q5", "Q3", "2026-13", ""])
def test_the_command_refuses_a_bad_quarter(db, text):
    with pytest.raises(CommandError, match="not a quarter"):
        call_command("compute_insights", quarter=[text], stdout=StringIO())
    assert not ComputedQuarter.objects.exists()


def test_the_command_refuses_a_future_quarter(db):
    future = Quarter.current().next()
    with pytest.raises(CommandError, match="not started"):
        call_command("compute_insights", quarter=[str(future)], stdout=StringIO())


def test_quarters_parse_and_step():
    assert Quarter.parse("2026q3") == Quarter.parse("2026-Q3") == Quarter(2026, 3)
    assert Quarter(2026, 4).next() == Quarter(2027, 1)
    assert Quarter(2026, 1).previous() == Quarter(2025, 4)
    assert Quarter.of(at(2026, 6, 30, 23, 59)) == Quarter(2026, 2)
    assert Quarter.of(at(2026, 7, 1, 0, 1)) == Quarter(2026, 3)
    assert Quarter(2026, 3).start == at(2026, 7, 1, 0, 0)


@pytest.fixture
def learning(people):
    from knowledge.models import Article, ArticleRead, LearningSession, Registration

    p = people

    def article(slug: str) -> Article:
        return Article.objects.create(
            title=slug, slug=slug, summary="…", body="…", status=Article.Status.PUBLISHED,
            created_by=p["gp"],
        )  # fmt: skip

    first, second = article("eerste"), article("tweede")
    for user, item, when in (
        (p["gp"], first, at(2026, 4, 2)),
        (p["gp"], second, at(2026, 5, 2)),
        (p["counsellor"], first, at(2026, 6, 2)),
        (p["welfare"], first, at(2026, 7, 2)),
        (p["admin"], first, at(2026, 4, 2)),
    ):
        ArticleRead.objects.create(article=item, user=user, read_at=when)

    def session(when, cancelled=None) -> LearningSession:
        return LearningSession.objects.create(
            title="Leersessie", description="…", starts_at=when, ends_at=when + timedelta(hours=2),
            capacity=5,
            registration_deadline=when, created_by=p["gp"], cancelled_at=cancelled,
        )  # fmt: skip

    held, cancelled = session(at(2026, 5, 12)), session(at(2026, 5, 20), at(2026, 5, 1))
    confirmed, waiting = Registration.Status.CONFIRMED, Registration.Status.WAITING
    for user, item, status, attended in (
        (p["gp"], held, confirmed, True),
        (p["nurse"], held, confirmed, False),
        (p["counsellor"], held, waiting, None),
        (p["welfare"], held, Registration.Status.CANCELLED, None),
        (p["welfare"], cancelled, confirmed, None),
    ):
        Registration.objects.create(
            session=item, user=user, status=status, attended=attended, queued_at=at(2026, 4, 20)
        )
    return p


def test_articles_read_and_learning_sessions(learning):
    compute_quarter(Quarter(2026, 2))
    assert figures("2026Q2", Metric.ARTICLES_READ) == {
        (None, ""): 3,
        (None, "medical"): 2,
        (None, "debt"): 1,
        ("hoensbroek", ""): 3,
        ("hoensbroek", "medical"): 2,
        ("hoensbroek", "debt"): 1,
    }
    # confirmed places at sessions held in the quarter; waiting, cancelled and cancelled
    # sessions do not count
    assert figures("2026Q2", Metric.SESSION_REGISTRATIONS) == {
        (None, ""): 2,
        ("hoensbroek", ""): 1,
        ("heerlen-noord", ""): 1,
    }
    assert figures("2026Q2", Metric.SESSION_ATTENDANCE) == {(None, ""): 1, ("hoensbroek", ""): 1}
    # reading, registering and commenting make a professional active
    active = figures("2026Q2", Metric.ACTIVE_PROFESSIONALS)
    assert active[None, ""] == 4


def test_case_rooms_count_only_when_their_members_span_two_domains(people):
    from privacy.models import CaseMember, CaseRoom

    p = people

    def room(coordinator, *members, opened, closed=None) -> CaseRoom:
        case = CaseRoom.objects.create(
            pseudonym="Gezin K.", purpose="…", legal_ground="consent", coordinator=coordinator,
            created_by=coordinator, created_at=opened, closed_at=closed,
        )  # fmt: skip
        for user in members:
            CaseMember.objects.create(
                room=case, user=user, organisation=user.professional.organisations.first(),
                joined_at=opened,
            )  # fmt: skip
        return case

    room(p["gp"], p["counsellor"], opened=at(2026, 4, 8), closed=at(2026, 8, 1))
    room(p["gp"], p["nurse"], opened=at(2026, 4, 9))  # medical only
    invited = room(p["nurse"], opened=at(2026, 5, 9))
    CaseMember.objects.create(  # invited, never joined: does not make the room cross-domain
        room=invited,
        user=p["welfare"],
        organisation=p["welfare"].professional.organisations.first(),
    )
    compute_quarter(Quarter(2026, 2))
    compute_quarter(Quarter(2026, 3))
    assert figures("2026Q2", Metric.CASE_ROOMS_OPENED) == {(None, ""): 1, ("hoensbroek", ""): 1}
    assert figures("2026Q2", Metric.CASE_ROOMS_CLOSED) == {}
    assert figures("2026Q3", Metric.CASE_ROOMS_CLOSED) == {(None, ""): 1, ("hoensbroek", ""): 1}
