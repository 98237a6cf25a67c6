"""The last four quarters added up: counts too small per quarter still tell something over a
year, without giving away a quarter shown as "<5"."""

from __future__ import annotations

import csv
import io
import itertools
import random

import pytest
from django.urls import reverse

from insights.models import ComputedQuarter, Figure, Metric
from insights.report import THRESHOLD, Row, sum_reveals
from tests.factories import UserFactory

QUARTERS = ("2025Q2", "2025Q3", "2025Q4", "2026Q1")


def store(metric: str, values: tuple[int, ...], neighbourhood=None) -> None:
    for quarter, value in zip(QUARTERS, values, strict=True):
        ComputedQuarter.objects.get_or_create(quarter=quarter, defaults={"final": True})
        Figure.objects.create(
            quarter=quarter, metric=metric, value=value, neighbourhood=neighbourhood
        )


@pytest.mark.parametrize(
    ("quarterly", "reveals"),
    [
        ((6, 7, 8, 9), False),  # nothing hidden
        ((6, 1, 8, 9), True),  # one hidden count is the sum minus the others
        ((6, 4, 8, 0), False),  # 4 and 0: either could be anything from 0 to 4
        ((6, 2, 8, 3), True),  # together 5: each at least 1
        ((1, 2, 1, 3), False),  # the pilot's case rooms: 7 over four hidden quarters
        ((0, 1, 0, 1), True),  # together 2: none of them can be 4
        ((4, 4, 4, 4), True),  # together 16: all four are 4
        ((4, 4, 4, 0), False),  # together 12: each of them could still be 0 or 4
    ],
)
def test_a_sum_is_shown_only_where_it_narrows_no_hidden_count(quarterly, reveals):
    assert sum_reveals(list(quarterly)) is reveals


def test_no_published_sum_narrows_a_hidden_count():
    """By brute force: for every published sum, each hidden quarter can still be anything a
    "<5" stands for, given the quarters shown."""
    generator = random.Random(20261207)
    cases = [tuple(generator.choice(range(12)) for _ in range(4)) for _ in range(400)]
    cases += list(itertools.product(range(6), repeat=3))  # three quarters
    for quarterly in cases:
        row = Row("x", list(quarterly), added_up=True)
        shown = row.period()
        if shown == f"<{THRESHOLD}":
            continue
        total = int(shown.replace(".", ""))
        assert total == sum(quarterly)
        hidden = [i for i, value in enumerate(quarterly) if value < THRESHOLD]
        for position in hidden:
            possible = set()
            for guess in itertools.product(range(THRESHOLD), repeat=len(hidden)):
                values = list(quarterly)
                for index, value in zip(hidden, guess, strict=True):
                    values[index] = value
                if sum(values) == total:
                    possible.add(values[position])
            assert possible == set(range(THRESHOLD)), (quarterly, position, possible)


def test_counts_of_people_and_reads_are_not_added_up():
    assert Row("x", [10, 20, 30, 40], added_up=False).period() == "–"


@pytest.mark.django_db
def test_the_dashboard_adds_up_the_case_rooms_the_quarters_hide(client):
    store(Metric.CASE_ROOMS_OPENED, (1, 2, 1, 3))
    store(Metric.CASE_ROOMS_CLOSED, (6, 1, 8, 9))
    store(Metric.CROSS_DOMAIN_CONNECTIONS, (10, 12, 9, 1_200))
    store(Metric.ACTIVE_PROFESSIONALS, (40, 41, 42, 43))
    client.force_login(UserFactory(roles=["programme_manager"]))

    page = client.get(reverse("insights:dashboard")).content.decode()

    table = page[page.index('id="cross-domain-table"') :]
    table = table[: table.index("</table>")]
    assert (
        '<span class="wijk-insight__quarter">K2 2025</span>–'
        '<span class="wijk-insight__quarter">K1 2026</span>'
    ) in table
    rows = {
        label: cells
        for label, cells in (
            (row.split("</th>")[0].rsplit(">", 1)[-1], row)
            for row in table.split('<tr class="utrecht-table__row">')[2:]
        )
    }
    opened = rows["Domeinoverstijgende casusruimtes geopend"]
    assert opened.count("&lt;5") == 4  # every quarter hidden …
    assert 'wijk-insight__period">7</td>' in opened  # … and the year tells: 7
    closed = rows["Domeinoverstijgende casusruimtes gesloten"]
    assert 'wijk-insight__period">&lt;5</td>' in closed  # 24 − 6 − 8 − 9 would give the 1 away
    connections = rows["Nieuwe verbindingen tussen domeinen"]
    assert 'wijk-insight__period">1.231</td>' in connections
    assert "data-period-rule" in page

    active = page[page.index('id="active-professionals-table"') :]
    active = active[: active.index("</table>")]
    assert "wijk-insight__period" not in active  # people are not added up: no such column


@pytest.mark.django_db
def test_the_csv_has_the_period_column(client):
    store(Metric.CASE_ROOMS_OPENED, (1, 2, 1, 3))
    store(Metric.CROSS_DOMAIN_CONNECTIONS, (10, 12, 9, 1_200))
    client.force_login(UserFactory(roles=["programme_manager"]))

    response = client.get(reverse("insights:export", args=["cross-domain"]))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-1] == "K2 2025 tot en met K1 2026"
    by_label = {row[0]: row for row in rows}
    assert by_label["Domeinoverstijgende casusruimtes geopend"][1:] == ["<5"] * 4 + ["7"]
    assert by_label["Nieuwe verbindingen tussen domeinen"][-1] == "1231"
