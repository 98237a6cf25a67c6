"""No count shown as "<5" can be worked out from the counts shown beside it: not from the
period sums of neighbouring quarters' reports, nor from a total minus its other rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from directory.models import Domain
from insights.models import ComputedQuarter, Figure, Metric, Target
from insights.report import SUPPRESSED, THRESHOLD
from tests.factories import NeighbourhoodFactory, UserFactory

CONNECTIONS = "Nieuwe verbindingen tussen domeinen"


def store(metric: str, quarter: str, value: int, *, domain: str = "", neighbourhood=None):
    ComputedQuarter.objects.get_or_create(quarter=quarter, defaults={"final": True})
    Figure.objects.create(
        quarter=quarter, metric=metric, domain=domain, value=value, neighbourhood=neighbourhood
    )


def export(client, slug: str, neighbourhood=None) -> dict[str, list[str]]:
    query = {"neighbourhood": neighbourhood.slug} if neighbourhood else {}
    response = client.get(reverse("insights:export", args=[slug]), query)
    assert response.status_code == 200
    rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
    return {row[0]: row[1:] for row in rows if row}


@pytest.fixture
def manager(client):
    client.force_login(UserFactory(roles=["programme_manager"]))
    return client


@pytest.mark.pdf
@pytest.mark.django_db
def test_the_reports_of_neighbouring_quarters_do_not_give_a_hidden_quarter_away(manager):
    """3, 2, 2, 10, 10: the report of K4 2025 added up 17, that of K1 2026 24, and
    17 − 24 + 10 is the 3 of K1 2025."""
    for quarter, value in zip(
        ("2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1"), (3, 2, 2, 10, 10), strict=True
    ):
        store(Metric.CROSS_DOMAIN_CONNECTIONS, quarter, value)

    rows = {}
    for quarter in ("2025Q4", "2026Q1"):
        response = manager.get(reverse("insights:report", args=[quarter]))
        assert response.status_code == 200
        text = "\n".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        )
        lines = [" ".join(line.split()) for line in text.splitlines()]
        (rows[quarter],) = [line for line in lines if line.startswith(f"{CONNECTIONS} ")]

    assert rows["2025Q4"].split()[-5:] == ["<5", "<5", "<5", "10", "<5"]
    assert rows["2026Q1"].split()[-6:] == ["<5", "<5", "<5", "10", "10", "<5"]


@pytest.mark.django_db
def test_a_period_is_added_up_only_where_none_of_its_quarters_is_hidden(manager):
    for quarter, value in zip(
        ("2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2"),
        (3, 2, 2, 10, 10, 6),
        strict=True,
    ):
        store(Metric.CROSS_DOMAIN_CONNECTIONS, quarter, value)
        store(Metric.CASE_ROOMS_OPENED, quarter, 1)

    rows = export(manager, "cross-domain")

    # K3 2025 to K2 2026 holds the hidden 2 of K3 2025
    assert rows[CONNECTIONS] == ["<5", "<5", "<5", "10", "10", "6", SUPPRESSED]
    assert rows["Domeinoverstijgende casusruimtes geopend"][-1] == SUPPRESSED
    Figure.objects.filter(quarter="2025Q3", metric=Metric.CROSS_DOMAIN_CONNECTIONS).update(value=7)
    assert export(manager, "cross-domain")[CONNECTIONS][-1] == "33"


@pytest.fixture
def domains():
    """As the export showed it: 29 in all domains, five domains at 5 and elderly care at 4,
    so that with every professional in one domain the 4 was 29 − 25."""
    store(Metric.ACTIVE_PROFESSIONALS, "2026Q1", 29)
    for value in Domain.values:
        store(
            Metric.ACTIVE_PROFESSIONALS,
            "2026Q1",
            4 if value == Domain.ELDERLY_CARE else 5,
            domain=value,
        )


def _hidden_hold_the_threshold(cells: list[str], values: list[int]) -> None:
    hidden = [value for cell, value in zip(cells, values, strict=True) if cell == SUPPRESSED]
    assert hidden, cells
    assert sum(hidden) >= THRESHOLD, cells
    shown = [value for cell, value in zip(cells, values, strict=True) if cell != SUPPRESSED]
    assert [cell for cell in cells if cell != SUPPRESSED] == [str(v) for v in shown]


@pytest.mark.django_db
def test_the_domains_beside_all_domains_give_no_hidden_count_away(manager, domains):
    rows = export(manager, "active-professionals")

    assert rows["Alle domeinen"] == ["29"]
    labels = [str(label) for _value, label in Domain.choices]
    cells = [rows[label][0] for label in labels]
    values = [4 if value == Domain.ELDERLY_CARE else 5 for value in Domain.values]
    assert rows["Ouderenzorg"] == [SUPPRESSED]
    _hidden_hold_the_threshold(cells, values)

    # the page and its chart hide the same counts as the file
    response = manager.get(reverse("insights:dashboard"))
    page = response.content.decode()
    table = page[page.index('id="active-professionals-table"') :]
    table = table[: table.index("</table>")]
    assert table.count("&lt;5") == cells.count(SUPPRESSED)
    (active,) = [t for t in response.context["tables"] if t.spec.slug == "active-professionals"]
    drawn = {str(series.label): series.suppressed for series in active.chart.series}
    assert drawn == {"Alle domeinen": 0} | {
        label: int(cell == SUPPRESSED) for label, cell in zip(labels, cells, strict=True)
    }


@pytest.mark.django_db
def test_the_report_hides_the_same_domains(manager, domains):
    from django.utils import translation

    from insights.pdf import build_report, report_html
    from insights.quarters import Quarter

    with translation.override("nl"):
        html = report_html(build_report(Quarter.parse("2026Q1")))
    cells = export(manager, "active-professionals")
    for label in ("Alle domeinen", *(str(label) for _value, label in Domain.choices)):
        row = html[html.index(f">{label}</th>") :]
        row = row[: row.index("</tr>")]
        shown = cells[label][0]
        assert f">{shown.replace('<', '&lt;')}</td>" in row, (label, row)


@pytest.mark.django_db
def test_a_target_is_not_compared_with_a_count_hidden_beside_its_total(manager, domains):
    target = Metric.ACTIVE_PROFESSIONALS + "__" + Domain.MEDICAL
    Target.objects.create(indicator=target, quarter="2026Q1", value=5)
    medical = export(manager, "active-professionals")["Medisch"]
    if medical != [SUPPRESSED]:
        Target.objects.filter(indicator=target).update(
            indicator=Metric.ACTIVE_PROFESSIONALS + "__" + Domain.MENTAL_HEALTH
        )

    from insights.targets import State, quarter_reports

    (report,) = quarter_reports(ComputedQuarter.objects.all())
    ((_indicator, status),) = report.lines
    assert status.value == 5
    assert status.state is State.SUPPRESSED
    assert status.shown_value == SUPPRESSED


@pytest.mark.django_db
def test_the_neighbourhoods_beside_the_region_give_no_hidden_count_away(manager):
    """12 connections in the region, 8 in the north and 4 in the south: with every
    connection in one neighbourhood, 12 − 8 gives the south's 4 back."""
    north = NeighbourhoodFactory(name="Noord")
    south = NeighbourhoodFactory(name="Zuid")
    store(Metric.CROSS_DOMAIN_CONNECTIONS, "2026Q1", 12)
    store(Metric.CROSS_DOMAIN_CONNECTIONS, "2026Q1", 8, neighbourhood=north)
    store(Metric.CROSS_DOMAIN_CONNECTIONS, "2026Q1", 4, neighbourhood=south)

    assert export(manager, "cross-domain")[CONNECTIONS] == ["12"]
    assert export(manager, "cross-domain", south)[CONNECTIONS] == [SUPPRESSED]
    assert export(manager, "cross-domain", north)[CONNECTIONS] == [SUPPRESSED]


@pytest.mark.django_db
def test_a_neighbourhoods_domains_are_protected_in_both_directions(manager):
    """A neighbourhood's domains beside its own total, and beside the other neighbourhoods'
    counts of the same domain under the region's."""
    north = NeighbourhoodFactory(name="Noord")
    south = NeighbourhoodFactory(name="Zuid")
    store(Metric.ACTIVE_PROFESSIONALS, "2026Q1", 40)
    store(Metric.ACTIVE_PROFESSIONALS, "2026Q1", 20, domain=Domain.MEDICAL)
    store(Metric.ACTIVE_PROFESSIONALS, "2026Q1", 20, domain=Domain.SOCIAL)
    store(Metric.ACTIVE_PROFESSIONALS, "2026Q1", 20, neighbourhood=north)
    store(Metric.ACTIVE_PROFESSIONALS, "2026Q1", 20, neighbourhood=south)
    store(Metric.ACTIVE_PROFESSIONALS, "2026Q1", 17, domain=Domain.MEDICAL, neighbourhood=north)
    store(Metric.ACTIVE_PROFESSIONALS, "2026Q1", 3, domain=Domain.SOCIAL, neighbourhood=north)
    store(Metric.ACTIVE_PROFESSIONALS, "2026Q1", 3, domain=Domain.MEDICAL, neighbourhood=south)
    store(Metric.ACTIVE_PROFESSIONALS, "2026Q1", 17, domain=Domain.SOCIAL, neighbourhood=south)

    for place in (north, south):
        rows = export(manager, "active-professionals", place)
        # 20 − 17 and 20 − 3 would give the 3 back, in the neighbourhood and across
        assert rows["Medisch"] == [SUPPRESSED]
        assert rows["Sociaal"] == [SUPPRESSED]
        assert rows["Alle domeinen"] == ["20"]
