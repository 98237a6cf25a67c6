"""The quarterly report as PDF: its pages, the dashboard's figures, no small number, who gets it."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from directory.models import Domain
from insights.models import (
    ComputedQuarter,
    Figure,
    Metric,
    PulseAnswer,
    PulseScale,
    PulseStatement,
    ReachFigure,
)
from insights.pdf import BASE_URL, build_report, render_pdf, static_file
from insights.quarters import Quarter
from insights.reach import set_expected
from insights.report import THRESHOLD
from insights.targets import save_quarter
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

Q2, Q3 = Quarter(2026, 2), Quarter(2026, 3)
DASHBOARD = reverse("insights:dashboard")

#: the section headings, in the report's order, each at the top of a page of its own
SECTIONS = [
    "Activiteit per domein",
    "Samenwerken over de domeinen heen",
    "Bereik en adoptie",
    "Adoptie per domein en wijk",
    "Resultaten van de pulse",
    "Casusruimtes",
    "Doelen",
    "Toelichting van het programmateam",
]

#: the dashboard's tables the report prints, by their id on the dashboard
DASHBOARD_TABLES = [
    "active-professionals-table",
    "articles-read-table",
    "learning-sessions-table",
    "cross-domain-table",
    "channel-messages-table",
    "reach-region-table",
    "reach-organisations-table",
    "reach-trend-table",
    "reach-domains-table",
    "reach-neighbourhoods-table",
    "reach-domain-adoption-table",
    "reach-neighbourhood-adoption-table",
    "pulse-trend-table",
]


@pytest.fixture
def manager(db):
    return UserFactory(email="programma@wijk.example", roles=["programme_manager"])


def store(quarter: Quarter, metric: str, value: int, domain: str = "") -> None:
    Figure.objects.create(quarter=str(quarter), metric=metric, value=value, domain=domain)


def reach(quarter: Quarter, **values) -> None:
    ReachFigure.objects.create(quarter=str(quarter), **values)


@pytest.fixture
def quarters(hoensbroek, heerlen_noord, manager):
    """Two computed quarters with small counts among the figures, targets, a note and a
    closed pulse with a statement that has too few answers."""
    ComputedQuarter.objects.create(quarter=str(Q2), final=True)
    ComputedQuarter.objects.create(quarter=str(Q3), final=True)
    for quarter, (total, medical, debt, social) in {Q2: (40, 22, 3, 9), Q3: (52, 30, 6, 4)}.items():
        store(quarter, Metric.ACTIVE_PROFESSIONALS, total)
        store(quarter, Metric.ACTIVE_PROFESSIONALS, medical, Domain.MEDICAL)
        store(quarter, Metric.ACTIVE_PROFESSIONALS, debt, Domain.DEBT)
        store(quarter, Metric.ACTIVE_PROFESSIONALS, social, Domain.SOCIAL)
    for quarter, values in {Q2: (12, 6, 5, 80, 30, 15, 11), Q3: (3, 2, 7, 95, 33, 18, 4)}.items():
        for metric, value in zip(
            (
                Metric.CROSS_DOMAIN_CONNECTIONS,
                Metric.CASE_ROOMS_OPENED,
                Metric.CASE_ROOMS_CLOSED,
                Metric.CROSS_DOMAIN_CHANNEL_MESSAGES,
                Metric.ARTICLES_READ,
                Metric.SESSION_REGISTRATIONS,
                Metric.SESSION_ATTENDANCE,
            ),
            values,
            strict=True,
        ):
            store(quarter, metric, value)
    store(Q3, Metric.ARTICLES_READ, 2, Domain.YOUTH)
    practice = OrganisationFactory(name="Huisartsenpraktijk Kasteelpark", slug="hp-kasteelpark")
    credit = OrganisationFactory(name="Schuldhulp Parkstad", slug="schuldhulp-parkstad")
    welfare = OrganisationFactory(name="Welzijn Samen", slug="welzijn-samen")
    set_expected(practice, 20, None, Q2)
    set_expected(credit, 8, None, Q2)
    reach(Q2, registered=30, verified=24, active=12, active_four_quarters=20)
    reach(Q3, registered=40, verified=33, active=21, active_four_quarters=30)
    for quarter, (p, c, w) in {Q2: (14, 3, 13), Q3: (18, 6, 16)}.items():
        reach(quarter, organisation=practice, registered=p, verified=p, active=p - 2)
        reach(quarter, organisation=credit, registered=c, verified=c, active=c - 1)
        reach(quarter, organisation=welfare, registered=w, verified=w - 4, active=w - 8)
    reach(Q3, neighbourhood=hoensbroek, registered=36, verified=30, active=18,
          active_four_quarters=27)  # fmt: skip
    reach(Q3, neighbourhood=heerlen_noord, registered=4, verified=3, active=3,
          active_four_quarters=6)  # fmt: skip
    reach(Q3, domain=Domain.MEDICAL, registered=20, verified=18, active=12)
    reach(Q3, domain=Domain.DEBT, registered=6, verified=6, active=2)
    save_quarter(
        Q3,
        {"active_professionals": 50, "cross_domain_connections": 10, "articles_read": 40},
        "Meer professionals **actief** dan gepland; de verbindingen blijven achter.",
        by=manager,
    )
    money = PulseStatement.objects.create(
        quarter=str(Q3), position=1, topic="geldzorgen", text="Ik weet wie ik kan benaderen."
    )
    joy = PulseStatement.objects.create(
        quarter=str(Q3), position=2, topic="werkplezier", text="Werkplezier", scale=PulseScale.SCORE
    )
    time = PulseStatement.objects.create(
        quarter=str(Q3), position=3, topic="tijd", text="Ik had genoeg tijd."
    )
    for value in (4, 4, 5, 3, 4, 2):
        PulseAnswer.objects.create(statement=money, value=value)
    for value in (7, 8, 8, 6, 9, 7):
        PulseAnswer.objects.create(statement=joy, value=value)
    for value in (2, 3):
        PulseAnswer.objects.create(statement=time, value=value)


def pdf_of(quarter: Quarter) -> PdfReader:
    """The report of ``quarter``, rendered as the view and the command render it."""
    with translation.override("nl"):
        data = render_pdf(build_report(quarter))
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def pages(reader: PdfReader) -> list[list[str]]:
    """Each page's lines, with runs of spaces made one."""
    return [
        [re.sub(r"\s+", " ", line).strip() for line in page.extract_text().splitlines()]
        for page in reader.pages
    ]


class Tables(HTMLParser):
    """The rows of the tables of a page, by table id: each row's cells' text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = dict(attrs).get("id")
            if self._table:
                self.tables[self._table] = []
        elif self._table and tag == "tr":
            self.tables[self._table].append([])
        elif self._table and tag in ("td", "th"):
            self._cell = []
        elif tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "caption":
            self._in_caption = False
        elif self._table and tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None and not self._in_caption:
            self._cell.append(data)


def dashboard_tables(client, manager) -> dict[str, list[list[str]]]:
    client.force_login(manager)
    response = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    parser = Tables()
    parser.feed(response.content.decode())
    return parser.tables


@pytest.mark.pdf
def test_the_report_has_a_title_page_and_each_section_on_pages_of_its_own(quarters):
    text = pages(pdf_of(Q3))
    cover = " ".join(text[0])
    assert "Kwartaalrapportage" in cover and "K3 2026" in cover and "WIJKPLATFORM" in cover
    assert "voorlopig" not in cover  # the quarter was computed after it ended
    assert "Rapportage gemaakt" in cover and "INHOUD" in cover
    # every section starts a page, in order, and no page holds two
    starts = [page[0] for page in text[1:]]
    assert [line for line in starts if line in SECTIONS] == SECTIONS
    for page in text[1:]:
        assert sum(line in SECTIONS for line in page) <= 1
    # one page per section
    assert starts == SECTIONS and len(text) == 1 + len(SECTIONS)
    # the page number in the footer of every page but the title page
    for number, page in enumerate(text[1:], start=2):
        assert f"Pagina {number} van {len(text)}" in " ".join(page)
    assert not any("Pagina" in line for line in text[0])


LONG_STATEMENTS = [
    "Ik weet wie ik in de wijk kan benaderen voor geldzorgen van een inwoner.",
    "Samenwerken met het andere domein ging dit kwartaal makkelijker.",
    "Ik had genoeg tijd om inwoners goed door te verwijzen.",
]


@pytest.fixture
def as_large_as_the_demo(hoensbroek, heerlen_noord, manager):
    """Four computed quarters with every domain in the activity tables, twelve organisations
    with their expected numbers, reach per domain and neighbourhood, three statements and a
    score in every quarter's pulse, targets and a note: at least as much as the demo data."""
    shown = [Quarter(2025, 4), Quarter(2026, 1), Q2, Q3]
    organisations = [
        OrganisationFactory(name=f"Gezondheidscentrum Parkstad Noord {n}", slug=f"gc-{n}")
        for n in range(12)
    ]
    for index, quarter in enumerate(shown):
        ComputedQuarter.objects.create(quarter=str(quarter), final=True)
        for metric in Metric.values:
            store(quarter, metric, 20 + 10 * index)
        for offset, domain in enumerate(Domain.values):
            store(quarter, Metric.ACTIVE_PROFESSIONALS, (3, 15, 7, 13)[offset % 4], domain)
            store(quarter, Metric.ARTICLES_READ, (12, 2, 8, 21)[offset % 4], domain)
        reach(quarter, registered=45, verified=43, active=31, active_four_quarters=50)
        for n, organisation in enumerate(organisations):
            if index == 0:
                set_expected(organisation, 4 + n, None, quarter)
            reach(quarter, organisation=organisation, registered=n + 2, verified=n + 2,
                  active=n + 1)  # fmt: skip
        for domain in Domain.values:
            reach(quarter, domain=domain, registered=12, verified=11, active=4)
        for place in (hoensbroek, heerlen_noord):
            reach(quarter, neighbourhood=place, registered=22, verified=21, active=15,
                  active_four_quarters=23)  # fmt: skip
        statements = [
            PulseStatement.objects.create(
                quarter=str(quarter), position=position, topic=f"stelling-{position}", text=text
            )
            for position, text in enumerate(LONG_STATEMENTS, start=1)
        ]
        statements.append(
            PulseStatement.objects.create(
                quarter=str(quarter),
                position=4,
                topic="werkplezier",
                text="Werkplezier",
                scale=PulseScale.SCORE,
            )
        )
        for statement in statements:
            for value in range(17):
                PulseAnswer.objects.create(statement=statement, value=1 + value % 5)
    save_quarter(
        Q3,
        {"active_professionals": 50, "cross_domain_connections": 10, "articles_read": 40},
        "Meer professionals **actief** dan gepland; de verbindingen blijven achter. " * 4,
        by=manager,
    )


@pytest.mark.pdf
def test_each_section_fits_one_page_with_as_much_data_as_the_demo(as_large_as_the_demo):
    text = pages(pdf_of(Q3))
    starts = [page[0] for page in text[1:]]
    assert starts == SECTIONS and len(text) == 1 + len(SECTIONS)
    lines = {line for page in text for line in page}
    # the largest tables are all there: every organisation, every domain
    assert sum(line.startswith("Gezondheidscentrum Parkstad Noord") for line in lines) >= 12
    assert any(line.startswith("Ouderenzorg") for line in lines)
    assert any(line.startswith(LONG_STATEMENTS[0]) for line in lines)


@pytest.mark.pdf
def test_the_report_shows_the_dashboards_figures(client, manager, quarters):
    shown = dashboard_tables(client, manager)
    lines = {line for page in pages(pdf_of(Q3)) for line in page}
    compared = 0
    for table in DASHBOARD_TABLES:
        rows = [row for row in shown[table] if row and row[0]]  # without the heading row
        assert rows, table
        for row in rows:
            assert " ".join(row) in lines, (table, row)
            compared += 1
    assert compared > 30
    # the pulse: 6 answers, 22 / 6; they have no domain, so no domain is shown
    assert "Ik weet wie ik kan benaderen. 6 3,7 <5 antwoorden <5 antwoorden" in lines
    assert "Ik had genoeg tijd. <5 antwoorden <5 antwoorden <5 antwoorden" in lines
    assert "Actieve professionals 52 50 doel 50, gehaald" in lines
    assert any(
        line.startswith("Nieuwe verbindingen tussen domeinen <5 10 doel 10;") for line in lines
    )
    assert "Meer professionals actief dan gepland; de verbindingen blijven achter." in lines


def _numbers_in_figures(lines: list[str]) -> list[int]:
    """The whole numbers in the report's text that could be a count: not a quarter, a date, a
    page number, a percentage, a decimal, a scale's axis (a line with one number alone) or a
    scale in words."""
    found = []
    for line in lines:
        if re.fullmatch(r"\d+", line):
            continue  # a chart's axis
        line = re.sub(r"K[1-4]( \d{4})?(?!\d)", "", line)  # a quarter, or its wrapped heading
        line = re.sub(r"\d{1,2} \w+\.? \d{4}(, \d{2}:\d{2})?", "", line)
        line = re.sub(r"Pagina \d+ van \d+", "", line)
        line = re.sub(r"\(?\d+ (tot|is) [^,)]*[,)]?", "", line)  # "1 tot 10", "5 is helemaal …"
        line = re.sub(r"<5|onder de 5|minder dan 5", "", line)
        found += [int(n) for n in re.findall(r"(?<![\d,.])\d+(?![\d,.%])", line)]
    return found


@pytest.mark.pdf
def test_no_count_below_5_appears_in_the_report(quarters):
    text = pages(pdf_of(Q3))
    numbers = _numbers_in_figures([line for page in text for line in page])
    assert numbers  # the report has figures
    assert min(numbers) >= THRESHOLD, sorted(numbers)[:10]
    # the small counts the data holds are each shown as "<5"
    lines = [line for page in text for line in page]
    # debt's 3 active in Q2 and social's 4 in Q3; beside "All domains" the next smallest are
    # hidden too (social's 9 in Q2, debt's 6 in Q3), so that no subtraction gives one away
    assert "Schulden en armoede <5 <5" in lines
    assert "Sociaal <5 <5" in lines


def test_the_number_check_finds_a_small_count():
    assert _numbers_in_figures(["Medisch 22 3", "K3 2026 40", "20", "Pagina 2 van 9", "K2"]) == [
        22,
        3,
        40,
    ]


@pytest.mark.pdf
def test_a_running_quarter_is_marked_provisional(quarters):
    ComputedQuarter.objects.filter(quarter=str(Q3)).update(final=False)
    text = pages(pdf_of(Q3))
    assert "voorlopig" in " ".join(text[0])
    assert "(voorlopig)" in " ".join(text[1])  # the footer


@pytest.mark.pdf
def test_the_programme_manager_downloads_a_quarters_report(client, manager, quarters):
    client.force_login(manager)
    dashboard = client.get(DASHBOARD).content.decode()
    url = reverse("insights:report", args=[str(Q3)])
    assert f'href="{url}"' in dashboard
    assert f'href="{reverse("insights:report", args=[str(Q2)])}"' in dashboard
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        'filename="wijkplatform-kwartaalrapportage-2026Q3.pdf"' in response["Content-Disposition"]
    )
    assert "Kwartaalrapportage" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


@pytest.mark.parametrize("roles", [[], ["trainer"], ["organisation_admin"], ["privacy_officer"]])
def test_others_get_404(client, colleague, roles, quarters):
    colleague.groups.add(*UserFactory._meta.model.groups.field.related_model.objects.filter(
        name__in=roles))  # fmt: skip
    client.force_login(colleague)
    assert client.get(reverse("insights:report", args=[str(Q3)])).status_code == 404


@pytest.mark.parametrize("quarter", ["2026Q1", "2030Q1", "2026Q5", "nonsense"])
def test_a_quarter_without_figures_is_not_found(client, manager, quarters, quarter):
    client.force_login(manager)
    assert client.get(reverse("insights:report", args=[quarter])).status_code == 404


@pytest.mark.pdf
def test_the_command_writes_the_report_of_a_quarter(tmp_path, quarters):
    out = io.StringIO()
    call_command(
        "compute_insights", "--report", "--quarter", "2026Q3", "--output", tmp_path, stdout=out
    )
    written = tmp_path / "wijkplatform-kwartaalrapportage-2026Q3.pdf"
    assert f"report written to {written}" in out.getvalue()
    assert "K3 2026" in PdfReader(written).pages[0].extract_text()
    # a file name of one's own
    named = tmp_path / "stuurgroep.pdf"
    call_command("compute_insights", "--report", "--quarter", "2026Q3", "--output", named)
    assert named.read_bytes().startswith(b"%PDF-")


@pytest.mark.pdf
def test_the_command_reports_the_last_ended_quarter_by_default(tmp_path, db):
    call_command("compute_insights", "--report", "--output", tmp_path, stdout=io.StringIO())
    last = Quarter.current().previous()
    assert (tmp_path / f"wijkplatform-kwartaalrapportage-{last}.pdf").exists()


def test_the_command_refuses_a_bad_output_or_two_quarters(tmp_path, db):
    with pytest.raises(CommandError, match="not a directory"):
        call_command("compute_insights", "--report", "--output", tmp_path / "missing")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("compute_insights", "--report", "--output", tmp_path / "no" / "r.pdf")
    with pytest.raises(CommandError, match="one --quarter"):
        call_command("compute_insights", "--report", "--quarter", "2026Q2", "--quarter", "2026Q3")
    assert not list(tmp_path.iterdir())


def test_the_renderer_may_read_only_static_files(settings):
    font = f"{BASE_URL}static/vendor/source-sans-3/source-sans-3-latin-400-normal.woff2"
    assert static_file(font) == Path(settings.BASE_DIR) / (
        "static/vendor/source-sans-3/source-sans-3-latin-400-normal.woff2"
    )
    for url in (
        "file:///etc/passwd",
        "https://example.org/static/vendor/source-sans-3/source-sans-3-latin-400-normal.woff2",
        f"{BASE_URL}static/../config/settings.py",
        f"{BASE_URL}static/%2e%2e/config/settings.py",
        f"{BASE_URL}media/anything.pdf",
        f"{BASE_URL}static/vendor/missing.woff2",
        "data:text/plain,hello",
    ):
        assert static_file(url) is None, url


@pytest.mark.pdf
def test_the_fetcher_refuses_everything_else():
    from insights.pdf import static_fetcher

    fetcher = static_fetcher()
    with pytest.raises(ValueError, match="only static files"):
        fetcher.fetch("https://example.org/tracker.png")
    with pytest.raises(ValueError, match="only static files"):
        fetcher("file:///etc/passwd")
    response = fetcher(
        f"{BASE_URL}static/vendor/source-sans-3/source-sans-3-latin-700-normal.woff2"
    )
    assert response.content_type == "font/woff2"
    assert response.read()[:4] == b"wOF2"
