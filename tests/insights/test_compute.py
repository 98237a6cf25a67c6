"""The figures on constructed data: exact counts, the definitions, quarter boundaries."""

from __future__ import annotations

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
