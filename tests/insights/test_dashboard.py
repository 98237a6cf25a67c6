"""Who sees the figures, how small numbers are hidden, and what the pages cost."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.models import Domain
from insights.charts import line_chart, nice_ceiling
from insights.models import ComputedQuarter, Figure, Metric
from insights.report import TABLES, display
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("insights:dashboard")
EXPORT = reverse("insights:export", args=["active-professionals"])


@pytest.fixture
def manager(db):
    return UserFactory(email="programma@wijk.example", roles=["programme_manager"])


def store(quarter: str, metric: str, value: int, domain: str = "", neighbourhood=None) -> None:
    ComputedQuarter.objects.get_or_create(quarter=quarter, defaults={"final": True})
    Figure.objects.create(
        quarter=quarter, metric=metric, value=value, domain=domain, neighbourhood=neighbourhood
    )


@pytest.fixture
def figures(hoensbroek):
    store("2026Q1", Metric.ACTIVE_PROFESSIONALS, 12)
    store("2026Q1", Metric.ACTIVE_PROFESSIONALS, 7, Domain.MEDICAL)
    store("2026Q1", Metric.ACTIVE_PROFESSIONALS, 3, Domain.DEBT)
    store("2026Q2", Metric.ACTIVE_PROFESSIONALS, 1234)
    store("2026Q2", Metric.CROSS_DOMAIN_CONNECTIONS, 4)
    store("2026Q2", Metric.CROSS_DOMAIN_CONNECTIONS, 9, neighbourhood=hoensbroek)


def test_small_numbers_are_suppressed():
    assert [display(n) for n in (0, 1, 4, 5, 1234)] == ["<5", "<5", "<5", "5", "1.234"]
    assert display(1234, grouping=False) == "1234"


@pytest.mark.parametrize("who", ["anonymous"])
def test_anonymous_visitors_are_sent_to_sign_in(client, who):
    for url in (DASHBOARD, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("roles", [[], ["trainer"], ["privacy_officer"], ["organisation_admin"]])
def test_everyone_but_programme_managers_and_admins_gets_404(client, colleague, roles, figures):
    colleague.groups.add(*UserFactory._meta.model.groups.field.related_model.objects.filter(
        name__in=roles))  # fmt: skip
    client.force_login(colleague)
    for url in (DASHBOARD, EXPORT, f"{DASHBOARD}?neighbourhood=hoensbroek"):
        response = client.get(url)
        assert response.status_code == 404
        assert b"1.234" not in response.content and b"1234" not in response.content


@pytest.mark.parametrize("roles", [["programme_manager"], ["platform_admin"]])
def test_programme_managers_and_admins_see_the_dashboard(client, roles, figures):
    client.force_login(UserFactory(roles=roles))
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert 'href="/insights/"' in response.content.decode()  # in the navigation


def test_the_dashboard_suppresses_small_numbers_in_tables_and_charts(client, manager, figures):
    client.force_login(manager)
    page = client.get(DASHBOARD).content.decode()
    table = page[page.index('id="active-professionals-table"') :]
    table = table[: table.index("</table>")]
    assert "1.234" in table and "12</td>" in table
    assert "7</td>" not in table  # the medical 7: 12 minus it would bound the debt's 3
    assert "3</td>" not in table and "&lt;5</td>" in table
    cross = page[page.index('id="cross-domain-table"') :]
    assert "4</td>" not in cross[: cross.index("</table>")]
    # the chart draws the known values and labels the suppressed ones' gaps "<5"
    chart = next(t for t in _tables(client) if t.spec.slug == "active-professionals").chart
    debt = next(s for s in chart.series if s.label == Domain.DEBT.label)
    assert debt.markers == [] and debt.segments == []
    assert debt.suppressed == 2  # 3 in 2026Q1, nothing (0) in 2026Q2
    total = chart.series[0]
    assert len(total.markers) == 2 and len(total.segments) == 1 and total.suppressed == 0
    assert len(chart.gaps) == 2  # one per quarter, with a marker for each hidden value
    assert sum(len(gap.markers) for gap in chart.gaps) == sum(s.suppressed for s in chart.series)
    svg = page[page.index('id="active-professionals-chart-title"') :]
    svg = svg[: svg.index("</svg>")]
    assert svg.count("data-gap") == 2 and svg.count(">&lt;5</text>") == 2


def _tables(client):
    return client.get(DASHBOARD).context["tables"]


def test_a_neighbourhood_shows_its_own_figures(client, manager, figures):
    client.force_login(manager)
    page = client.get(f"{DASHBOARD}?neighbourhood=hoensbroek").content.decode()
    cross = page[page.index('id="cross-domain-table"') :]
    assert "9</td>" in cross[: cross.index("</table>")]
    assert client.get(f"{DASHBOARD}?neighbourhood=nowhere").status_code == 404


def test_csv_exports_every_table_with_suppression(client, manager, figures):
    client.force_login(manager)
    for table in TABLES:
        response = client.get(reverse("insights:export", args=[table.slug]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert f"wijkplatform-{table.slug}-regio.csv" in response["Content-Disposition"]
    content = client.get(EXPORT).content
    assert content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["", "K1 2026", "K2 2026"]
    assert rows[1] == ["Alle domeinen", "12", "1234"]
    debt = next(row for row in rows if row[0] == str(Domain.DEBT.label))
    assert debt == [str(Domain.DEBT.label), "<5", "<5"]
    assert all("3" not in row[1:] for row in rows[1:])
    assert client.get(reverse("insights:export", args=["nothing"])).status_code == 404


def test_the_dashboard_query_count_is_constant(client, manager, hoensbroek, heerlen_noord):
    client.force_login(manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(DASHBOARD).status_code == 200
        return len(context.captured_queries)

    store("2025Q1", Metric.ACTIVE_PROFESSIONALS, 10)
    few = queries()
    for year in (2025, 2026):
        for number in (1, 2, 3, 4):
            for metric in Metric.values:
                for domain in ("", *Domain.values):
                    for place in (None, hoensbroek, heerlen_noord):
                        store(f"{year}Q{number}", metric, 50 + number, domain, place) if (
                            year,
                            number,
                            metric,
                            domain,
                            place,
                        ) != (2025, 1, Metric.ACTIVE_PROFESSIONALS, "", None) else None
    assert queries() == few


def test_an_empty_dashboard_explains_how_figures_appear(client, manager):
    client.force_login(manager)
    response = client.get(DASHBOARD)
    assert "compute_insights" in response.content.decode()


def test_chart_scale_and_gaps():
    assert [nice_ceiling(v) for v in (0, 3, 7, 12, 240, 1001)] == [1, 5, 10, 20, 250, 2000]
    chart = line_chart(["a", "b", "c"], [("x", [10, None, 30])])
    (series,) = chart.series
    assert series.segments == [] and len(series.markers) == 2
    assert chart.grid[-1][1] == "50"  # top of the scale
    (gap,) = chart.gaps
    ((_path, color),) = gap.markers
    assert color == chart.series[0].color
    # its row (marker, then "<5") is centred on the quarter, at the foot of the scale
    x = float(chart.x_labels[1][0])
    assert float(gap.text_x) - 10 < x < float(gap.text_x) + 20
    assert float(chart.grid[1][0]) < float(gap.y) < float(chart.grid[0][0])
    assert chart.gap_label == "<5"


def test_the_hidden_values_of_one_quarter_share_one_row():
    chart = line_chart(["a", "b"], [("x", [None, 9]), ("y", [None, 12]), ("z", [7, 8])])
    (gap,) = chart.gaps
    colors = [color for _path, color in gap.markers]
    assert colors == [chart.series[0].color, chart.series[1].color]
    assert chart.series[2].suppressed == 0
    # side by side, left of the "<5", and inside the drawing
    starts = [float(path[1:].split(",")[0]) for path, _color in gap.markers]
    assert starts[1] - starts[0] >= 9 and starts[1] < float(gap.text_x)
    assert min(starts) > chart.left


def test_a_provisional_quarter_gets_a_band_and_hollow_markers():
    chart = line_chart(["a", "b", "c"], [("x", [10, 20, 6])], [False, False, True])
    (series,) = chart.series
    assert len(series.markers) == 2 and len(series.provisional_markers) == 1
    assert len(series.segments) == 1  # the line still runs into it
    (band,) = chart.bands
    assert float(band.x) < float(chart.x_labels[2][0]) < float(band.x) + float(band.width)
    assert float(band.x) + float(band.width) <= chart.width
    assert line_chart(["a", "b"], [("x", [10, 20])]).bands == []


@pytest.fixture
def running_quarter(db):
    store("2025Q4", Metric.ACTIVE_PROFESSIONALS, 40)
    store("2025Q4", Metric.ACTIVE_PROFESSIONALS, 3, Domain.DEBT)
    ComputedQuarter.objects.create(quarter="2026Q1", final=False)
    Figure.objects.create(quarter="2026Q1", metric=Metric.ACTIVE_PROFESSIONALS, value=11)


def test_the_running_quarter_is_marked_provisional(client, manager, running_quarter):
    client.force_login(manager)
    response = client.get(DASHBOARD)
    page = response.content.decode()
    table = page[page.index('id="active-professionals-table"') :]
    table = table[: table.index("</table>")]
    assert "K4 2025</th>" in table
    assert "K1 2026 <span" in table and ">voorlopig</span>" in table
    # its heading and every cell
    assert table.count("wijk-insight__provisional") == 1 + len(TABLES[0].rows)
    assert "K1 2026 is voorlopig" in page
    svg = page[page.index('id="active-professionals-chart-title"') :]
    svg = svg[: svg.index("</svg>")]
    assert svg.count("data-provisional>") == 1 and ">voorlopig</text>" in svg
    assert svg.count("data-provisional-marker") == 1  # the total's 11
    assert "Voorlopig, op een gekleurde band: K1 2026." in svg
    # a final quarter carries no mark
    ComputedQuarter.objects.filter(quarter="2026Q1").update(final=True)
    page = client.get(DASHBOARD).content.decode()
    assert "voorlopig" not in page[page.index('id="active-professionals-table"') :]


def test_the_csv_has_the_page_headings_in_the_request_language(client, manager, running_quarter):
    client.force_login(manager)
    rows = list(csv.reader(io.StringIO(client.get(EXPORT).content.decode("utf-8-sig")),
                           delimiter=";"))  # fmt: skip
    assert rows[0] == ["", "K4 2025", "K1 2026 (voorlopig)"]
    assert rows[1] == ["Alle domeinen", "40", "11"]
    assert [row[0] for row in rows[1:3]] == ["Alle domeinen", "Medisch"]
    client.cookies["django_language"] = "en"
    english = client.get(EXPORT).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(english), delimiter=";"))
    assert rows[0] == ["", "Q4 2025", "Q1 2026 (provisional)"]
    assert rows[1][0] == "All domains"
