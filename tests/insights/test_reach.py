"""Reach: registered, verified and active professionals against the expected numbers."""

from __future__ import annotations

import csv
import io
import itertools
import random
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from channels_app.models import Channel
from directory.models import Domain, Membership, Organisation
from insights.models import ComputedQuarter, ExpectedHeadcount, ReachFigure
from insights.quarters import Quarter
from insights.reach import (
    Reach,
    build_reach,
    compute_reach,
    period_reveals,
    protect,
    set_expected,
)
from insights.report import THRESHOLD
from privacy.models import CaseMember, CaseRoom
from tests.factories import DisciplineFactory, OrganisationFactory, ProfessionalFactory, UserFactory
from tests.insights.conftest import at, room, say

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("insights:dashboard")
EXPECTED = reverse("insights:expected_headcount")


def since(when, *users: User) -> None:
    """Date the accounts and memberships back: they were there at ``when``."""
    for user in users:
        User.objects.filter(pk=user.pk).update(date_joined=when)
        Membership.objects.filter(professional__user=user).update(created_at=when, verified_at=when)


def reach(quarter: str) -> dict[str, tuple[int, int, int]]:
    """Per place ("region", an organisation's slug, a neighbourhood's slug or a domain):
    (registered, verified, active)."""
    found = {}
    for f in ReachFigure.objects.filter(quarter=quarter).select_related(
        "organisation", "neighbourhood"
    ):
        place = (
            f.organisation.slug
            if f.organisation
            else f.neighbourhood.slug
            if f.neighbourhood
            else f.domain or "region"
        )
        found[place] = (f.registered, f.verified, f.active)
    return found


@pytest.fixture
def onboarded(people, town):
    p = people
    since(at(2025, 6, 1), p["gp"], p["nurse"], p["counsellor"], p["welfare"])
    since(at(2025, 6, 1), town["unverified"].user)
    return p


def test_it_counts_registered_verified_and_active_by_organisation_domain_and_neighbourhood(
    onboarded, town
):
    p = onboarded
    # Q1 2026: the GP writes to the counsellor; the nurse joins a case room
    direct = room(Channel.Kind.DIRECT, p["gp"], p["counsellor"])
    say(direct, p["gp"], at(2026, 2, 10))
    case = CaseRoom.objects.create(coordinator=p["counsellor"], created_at=at(2025, 12, 1))
    CaseMember.objects.create(room=case, user=p["nurse"], joined_at=at(2026, 3, 2))
    # the administrator has no professional profile: never counted
    say(direct, p["admin"], at(2026, 2, 11))
    compute_reach(Quarter(2026, 1))
    figures = reach("2026Q1")
    # five professionals, one of them still waiting for verification
    assert figures["region"] == (5, 4, 2)
    assert figures["hp-kasteelpark"] == (2, 2, 2)
    assert figures["schuldhulp-parkstad"] == (2, 1, 0)
    assert figures["hoensbroek"] == (3, 2, 1)
    assert figures["heerlen-noord"] == (2, 2, 1)
    assert figures[Domain.MEDICAL] == (2, 2, 2)
    assert figures[Domain.DEBT] == (2, 1, 0)
    assert figures[Domain.SOCIAL] == (1, 1, 0)


def test_someone_who_joins_after_the_quarter_is_not_counted_in_it(onboarded):
    late = ProfessionalFactory(user=UserFactory(email="laat@wijk.example"))
    since(at(2026, 4, 2), late.user)
    say(room(Channel.Kind.OPEN, late.user, name="Wijk"), late.user, at(2026, 3, 30))
    compute_reach(Quarter(2026, 1))
    assert reach("2026Q1")["region"] == (5, 4, 0)


def test_someone_who_changes_organisation_mid_quarter_counts_where_they_are_at_its_end(
    onboarded, town
):
    p = onboarded
    practice = Organisation.objects.get(slug="hp-kasteelpark")
    welfare_org = Organisation.objects.get(professionals__user=p["welfare"])
    say(room(Channel.Kind.OPEN, p["welfare"], name="Wijk"), p["welfare"], at(2026, 4, 20))
    compute_reach(Quarter(2026, 1))  # computed at the end of Q1: still at the welfare org
    # mid Q2 the welfare worker leaves for the practice
    Membership.objects.filter(professional__user=p["welfare"]).delete()
    Membership.objects.create(
        professional=p["welfare"].professional,
        organisation=practice,
        verified=True,
        created_at=at(2026, 5, 15),
        verified_at=at(2026, 5, 16),
    )
    compute_reach(Quarter(2026, 2))
    q2 = reach("2026Q2")
    assert q2["hp-kasteelpark"] == (3, 3, 1)
    assert welfare_org.slug not in q2
    assert q2["region"] == (5, 4, 1)  # once in the region
    assert reach("2026Q1")[welfare_org.slug] == (1, 1, 0)


def test_a_deactivated_account_is_not_counted_after_its_deactivation(onboarded):
    p = onboarded
    channel = room(Channel.Kind.OPEN, p["gp"], name="Wijk")
    say(channel, p["gp"], at(2026, 2, 1))
    compute_reach(Quarter(2026, 1))
    ComputedQuarter.objects.create(quarter="2026Q1", final=True)
    User.objects.filter(pk=p["gp"].pk).update(is_active=False)
    # a message dated after the deactivation (imported, say) does not make them active
    say(channel, p["gp"], at(2026, 4, 1))
    call_command("compute_insights", stdout=io.StringIO())
    assert reach("2026Q1")["region"] == (5, 4, 1)  # final: as it stood then
    assert reach("2026Q2")["region"] == (4, 3, 0)
    assert reach("2026Q2")["hp-kasteelpark"] == (1, 1, 0)


def test_a_professional_in_two_domains_counts_in_each_and_once_in_the_total(onboarded):
    p = onboarded
    youth = DisciplineFactory(name="Jeugdarts", slug="jeugdarts", domain=Domain.YOUTH)
    p["gp"].professional.disciplines.add(youth)
    say(room(Channel.Kind.OPEN, p["gp"], name="Wijk"), p["gp"], at(2026, 2, 1))
    compute_reach(Quarter(2026, 1))
    figures = reach("2026Q1")
    assert figures[Domain.MEDICAL][2] == 1
    assert figures[Domain.YOUTH][2] == 1
    assert figures["region"][2] == 1


# --- small numbers -----------------------------------------------------------------------------


def test_it_hides_small_counts_and_the_complement():
    assert protect([3, 40, 50], 93) == [True, True, False]
    assert protect([1, 2, 40, 50], 93) == [True, True, True, False]  # 1 + 2 is still below 5
    assert protect([0, 40, 50], 90) == [True, False, False]  # an empty group names nobody
    assert protect([0, 3, 40, 50], 93) == [True, True, True, False]
    assert protect([10, 40, 50], 100) == [False, False, False]
    assert protect([3, 40], 3) == [True, False]  # the total is hidden: nothing to subtract from


@pytest.mark.parametrize("seed", range(200))
def test_no_hidden_count_follows_from_the_total_and_the_shown_counts(seed):
    rng = random.Random(seed)
    parts = [
        rng.choice([0, 1, 2, 3, 4, 5, 6, rng.randint(5, 60)]) for _ in range(rng.randint(2, 8))
    ]
    total = sum(parts)
    hidden = protect(parts, total)
    shown = sum(value for value, hide in zip(parts, hidden, strict=True) if not hide)
    assert all(hide for value, hide in zip(parts, hidden, strict=True) if value < THRESHOLD)
    if any(hidden) and total >= THRESHOLD and total > shown:
        # the total minus the shown ones is the sum of two or more hidden counts, at least 5
        # (where it is 0, the hidden groups are empty: that names nobody)
        assert sum(hidden) >= 2
        assert total - shown >= THRESHOLD


def store(quarter: str, final: bool = True, **values) -> None:
    ComputedQuarter.objects.get_or_create(quarter=quarter, defaults={"final": final})
    ReachFigure.objects.create(quarter=quarter, **values)


@pytest.fixture
def manager(db):
    return UserFactory(email="programma@wijk.example", roles=["programme_manager"])


@pytest.fixture
def published(hoensbroek, heerlen_noord):
    practice = OrganisationFactory(name="Huisartsenpraktijk Kasteelpark", slug="hp-kasteelpark")
    credit = OrganisationFactory(name="Schuldhulp Parkstad", slug="schuldhulp-parkstad")
    welfare = OrganisationFactory(name="Welzijn Samen", slug="welzijn-samen")
    set_expected(practice, 20, None, Quarter(2026, 2))
    set_expected(credit, 8, None, Quarter(2026, 2))
    set_expected(practice, 25, None, Quarter(2026, 3))
    store("2026Q2", registered=30, verified=24, active=12, active_four_quarters=20)
    store("2026Q3", registered=40, verified=33, active=21, active_four_quarters=30)
    for quarter, (p, c, w) in {"2026Q2": (14, 3, 13), "2026Q3": (18, 6, 16)}.items():
        store(quarter, organisation=practice, registered=p, verified=p, active=p - 2)
        store(quarter, organisation=credit, registered=c, verified=c, active=c - 1)
        store(quarter, organisation=welfare, registered=w, verified=w - 4, active=w - 8)
    store("2026Q3", neighbourhood=hoensbroek, registered=36, verified=30, active=18,
          active_four_quarters=27)  # fmt: skip
    store("2026Q3", neighbourhood=heerlen_noord, registered=4, verified=3, active=3,
          active_four_quarters=6)  # fmt: skip
    store("2026Q3", domain=Domain.MEDICAL, registered=20, verified=18, active=12)
    store("2026Q3", domain=Domain.DEBT, registered=6, verified=6, active=2)
    return {"practice": practice, "credit": credit, "welfare": welfare}


def build(*args, **kwargs) -> Reach:
    with translation.override("en"):
        return build_reach(*args, **kwargs)


def rows(table) -> dict[str, list[str]]:
    return {label: cells for label, cells, _total in table.rows}


def test_the_tables_hide_small_counts_their_complements_and_percentages(published):
    reach = build([Quarter(2026, 2), Quarter(2026, 3)])
    organisations = rows(reach.table("reach-organisations"))
    assert organisations["Huisartsenpraktijk Kasteelpark"] == ["25", "18", "18", "16", "72%", "64%"]
    # the credit counsellors' 6 and 5 are shown; welfare has no expected number
    assert organisations["Schuldhulp Parkstad"] == ["8", "6", "6", "5", "75%", "62%"]
    assert organisations["Welzijn Samen"] == ["–", "16", "12", "8", "–", "–"]
    assert organisations["All professionals in the region"] == [
        "33",
        "40",
        "33",
        "21",
        "100%",
        "64%",
    ]
    trend = rows(reach.table("reach-trend"))
    assert trend["Schuldhulp Parkstad"] == ["<5", "62%"]
    # Q2: the credit counsellors' 2 active are hidden, and the next smallest, welfare's 5
    assert trend["Welzijn Samen"] == ["<5", "–"]
    assert trend["Huisartsenpraktijk Kasteelpark"] == ["60%", "64%"]
    neighbourhoods = rows(reach.table("reach-neighbourhoods"))
    # Heerlen Noord's 4, 3 and 3 are hidden, so is Hoensbroek beside them; the four quarters
    # reach 6, and the region is shown. Hoensbroek's 27 is hidden too: beside four quarters
    # shown as "<5" (at most 16 together) it would tell that its "<5" hides at least 15
    assert neighbourhoods["Heerlen Noord"] == ["<5", "<5", "<5", "6"]
    assert neighbourhoods["Hoensbroek"] == ["<5", "<5", "<5", "<5"]
    # and the region's 30 with it, or 30 minus 6 would give Hoensbroek's back
    assert neighbourhoods["Whole region"] == ["40", "33", "21", "<5"]
    domains = rows(reach.table("reach-domains"))
    # four domains without anyone: hidden, together 0, which names nobody, so debt's 6 and 6
    # are shown; in the active column debt's 2 is hidden, and then the medical 12
    assert domains["Debt and poverty"] == ["6", "6", "<5"]
    assert domains["Medical"] == ["20", "18", "<5"]
    assert domains["Youth"] == ["<5", "<5", "<5"]
    region = rows(reach.table("reach-region"))
    assert region["Expected"] == ["28", "33"]
    assert region["Active of expected"] == ["43%", "64%"]


def test_the_longer_period_is_left_out_when_it_is_the_same_quarter(published):
    table = build([Quarter(2026, 3)], longer_period=False).table("reach-neighbourhoods")
    assert table.headings == ["Registered", "Verified", "Active"]


def test_the_dashboard_shows_the_reach_section_in_dutch(client, manager, published):
    client.force_login(manager)
    response = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="nl")
    html = response.content.decode()
    assert "Bereik" in html
    assert 'id="reach-organisations-table"' in html
    assert "Verwachte aantallen" in html  # the form, for the programme manager


def test_a_platform_administrator_sees_the_figures_but_not_the_form(client, published):
    client.force_login(UserFactory(roles=["platform_admin"]))
    html = client.get(DASHBOARD).content.decode()
    assert 'id="reach-organisations-table"' in html
    assert reverse("insights:expected_headcount") not in html
    response = client.post(EXPECTED, {})
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_programme_manager_enters_expected_numbers_from_this_quarter_on(
    client, manager, published
):
    client.force_login(manager)
    practice, credit = published["practice"], published["credit"]
    welfare = published["welfare"]
    response = client.post(
        EXPECTED,
        {f"expected-{practice.pk}": "25", f"expected-{credit.pk}": "", f"expected-{welfare.pk}": 9},
    )
    assert response.status_code == HTTPStatus.FOUND
    now = str(Quarter.current())
    entered = {
        (e.organisation.slug, e.quarter): e.number
        for e in ExpectedHeadcount.objects.select_related("organisation")
    }
    # the practice's 25 already applied: nothing new; the emptied credit field is 0 from now
    assert (practice.slug, now) not in entered
    assert entered[credit.slug, now] == 0
    assert entered[welfare.slug, now] == 9
    assert entered[credit.slug, "2026Q2"] == 8  # history kept
    assert ExpectedHeadcount.objects.get(organisation=welfare).updated_by == manager


def test_a_wrong_number_is_refused_with_the_form_again(client, manager, published):
    client.force_login(manager)
    response = client.post(EXPECTED, {f"expected-{published['practice'].pk}": "-3"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'aria-invalid="true"' in response.content.decode()
    assert not ExpectedHeadcount.objects.filter(quarter=str(Quarter.current())).exists()


def test_the_reach_tables_export_as_dutch_csv(client, manager, published):
    client.force_login(manager)
    response = client.get(
        reverse("insights:reach_export", args=["reach-organisations"]),
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][:3] == ["", "Verwacht", "Geregistreerd"]
    assert ["Schuldhulp Parkstad", "8", "6", "6", "5", "75%", "62%"] in lines
    missing = client.get(reverse("insights:reach_export", args=["nothing"]))
    assert missing.status_code == HTTPStatus.NOT_FOUND


def test_the_csv_holds_plain_numbers_in_english_too(client, manager, hoensbroek):
    """A spreadsheet reads 1234, not "1,234" (English) or "1.234" (Dutch) as a text."""
    store("2026Q3", registered=1234, verified=1200, active=1100, active_four_quarters=1150)
    client.force_login(manager)
    for language in ("en", "nl"):
        client.cookies["django_language"] = language
        response = client.get(reverse("insights:reach_export", args=["reach-organisations"]))
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        assert lines[-1][1:4] == ["–", "1234", "1200"], (language, lines)


def test_outsiders_get_no_figures(client, published):
    client.force_login(UserFactory(email="iemand@wijk.example"))
    response = client.get(reverse("insights:reach_export", args=["reach-organisations"]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_running_quarter_entry_does_not_change_a_past_quarter(published):
    set_expected(published["credit"], 12, None, Quarter.current())
    reach = build([Quarter(2026, 2), Quarter(2026, 3)])
    assert rows(reach.table("reach-organisations"))["Schuldhulp Parkstad"][0] == "8"


def test_no_table_has_a_lone_hidden_count_beside_a_shown_total(published):
    reach = build([Quarter(2026, 2), Quarter(2026, 3)], [Quarter(2026, 3)], longer_period=True)
    for slug in ("reach-organisations", "reach-domains", "reach-neighbourhoods"):
        table = reach.table(slug)
        parts = [cells for _label, cells, total in table.rows if not total]
        (total,) = [cells for _label, cells, is_total in table.rows if is_total]
        for column, shown_total in enumerate(total):
            hidden = [cells[column] for cells in parts].count("<5")
            assert shown_total == "<5" or hidden != 1, (slug, column)


def _feasible(shown: int, hidden_count: int, period: int, index: int) -> set[int]:
    """The values a reader can still give the ``index``-th of ``hidden_count`` counts shown as
    "<5" (each 0 to 4 for all they know), knowing that the period's people are at most the
    sum of its quarters."""
    values = range(THRESHOLD)
    feasible = set()
    for assignment in itertools.product(values, repeat=hidden_count):
        if shown + sum(assignment) >= period:
            feasible.add(assignment[index])
    return feasible


@pytest.mark.parametrize("seed", range(200))
def test_no_hidden_quarter_follows_from_the_four_quarters_and_the_shown_ones(seed):
    rng = random.Random(seed)
    quarterly = [rng.choice([0, 1, 2, 3, 4, 5, 6, rng.randint(5, 40)]) for _ in range(4)]
    # hidden: the small ones, and now and then a larger one hidden beside them (complement)
    hidden = [value < THRESHOLD or rng.random() < 0.15 for value in quarterly]
    # people active in several quarters count once: between the largest quarter and the sum
    period = rng.randint(max(quarterly), sum(quarterly)) if any(quarterly) else 0
    if period < THRESHOLD or not any(hidden):
        return  # the period is hidden itself, or there is nothing to protect
    shown = sum(value for value, hide in zip(quarterly, hidden, strict=True) if not hide)
    narrowed = [
        _feasible(shown, sum(hidden), period, index) != set(range(THRESHOLD))
        for index in range(sum(hidden))
    ]
    # the period is hidden exactly when publishing it would narrow a hidden quarter
    assert period_reveals(quarterly, hidden, period) == any(narrowed)


def test_the_four_quarters_are_hidden_where_they_would_narrow_a_hidden_quarter(heerlen_noord):
    north = {"neighbourhood": heerlen_noord}
    quarters = ("2025Q4", "2026Q1", "2026Q2", "2026Q3")
    for quarter, active in zip(quarters, (6, 7, 8, 3), strict=True):
        store(quarter, registered=40, verified=40, active=30, active_four_quarters=60)
        store(quarter, **north, registered=12, verified=12, active=active,
              active_four_quarters=active + 10)  # fmt: skip
    shown = [Quarter(2026, 1), Quarter(2026, 2), Quarter(2026, 3)]
    # 24 people over the four quarters beside 6, 7 and 8 shown: the hidden 3 would be 3 or 4
    ReachFigure.objects.filter(quarter="2026Q3", **north).update(active_four_quarters=24)
    table = rows(build(shown).table("reach-neighbourhoods"))
    assert table["Heerlen Noord"] == ["12", "12", "<5", "<5"]
    assert table["Whole region"] == ["40", "40", "30", "<5"]  # nothing to subtract it from
    # 21 or fewer: everyone of this quarter may have been active before, nothing follows
    ReachFigure.objects.filter(quarter="2026Q3", **north).update(active_four_quarters=21)
    table = rows(build(shown).table("reach-neighbourhoods"))
    assert table["Heerlen Noord"] == ["12", "12", "<5", "21"]
    assert table["Whole region"] == ["40", "40", "30", "60"]
