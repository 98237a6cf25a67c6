"""The last four quarters added up, only where none of them is hidden: neighbouring quarters'
sums overlap, and their difference would give a quarter shown as "<5" away."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from insights.models import ComputedQuarter, Figure, Metric
from insights.report import Row
from tests.factories import UserFactory

QUARTERS = ("2025Q2", "2025Q3", "2025Q4", "2026Q1")


def store(metric: str, values: tuple[int, ...], neighbourhood=None) -> None:
    for quarter, value in zip(QUARTERS, values, strict=True):
        ComputedQuarter.objects.get_or_create(quarter=quarter, defaults={"final": True})
        Figure.objects.create(
            quarter=quarter, metric=metric, value=value, neighbourhood=neighbourhood
        )


@pytest.mark.parametrize(
    ("quarterly", "shown"),
    [
        ((6, 7, 8, 9), "30"),  # nothing hidden
        ((6, 1, 8, 9), "<5"),  # one hidden count is the sum minus the others
        ((1, 2, 1, 3), "<5"),  # a neighbouring quarter's sum, subtracted, would tell
        ((1, 2, 8, 9, 10, 11), "38"),  # the hidden quarters lie before the last four
    ],
)
def test_a_sum_is_shown_only_where_none_of_its_quarters_is_hidden(quarterly, shown):
    assert Row("x", list(quarterly), added_up=True).period() == shown


def test_a_quarter_hidden_beside_a_total_hides_the_sum_too():
    row = Row("x", [6, 7, 8, 9], added_up=True, hidden=[False, True, False, False])
    assert row.cells == ["6", "<5", "8", "9"]
    assert row.period() == "<5"


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
    assert opened.count("&lt;5") == 5  # every quarter hidden, and so the year
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
    assert by_label["Domeinoverstijgende casusruimtes geopend"][1:] == ["<5"] * 5
    assert by_label["Nieuwe verbindingen tussen domeinen"][-1] == "1231"
