"""The dashboard's tables, built from the stored figures, with small numbers suppressed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from directory.models import Domain
from insights.charts import LineChart, line_chart
from insights.models import ComputedQuarter, Figure, Metric
from insights.quarters import Quarter

#: counts below this are shown as "<5": small groups could point at a person
THRESHOLD = 5
SUPPRESSED = f"<{THRESHOLD}"

#: how many quarters the dashboard, its exports and the quarterly report show, newest last
QUARTERS_SHOWN = 8


def suppressed(value: int) -> bool:
    return value < THRESHOLD


def display(value: int, *, grouping: bool = True) -> str:
    if suppressed(value):
        return SUPPRESSED
    return number_format(value, force_grouping=True) if grouping else str(value)


#: metrics whose count over several quarters is the sum of the quarters' counts (things that
#: happen once: a message, a connection made, a room opened, a registration); not people, who
#: may be active in several quarters, nor reads, counted once per reader in each quarter
ADDED_UP = frozenset(
    {
        Metric.CROSS_DOMAIN_CONNECTIONS,
        Metric.CROSS_DOMAIN_CHANNEL_MESSAGES,
        Metric.CASE_ROOMS_OPENED,
        Metric.CASE_ROOMS_CLOSED,
        Metric.SESSION_REGISTRATIONS,
        Metric.SESSION_ATTENDANCE,
    }
)
#: how many of the newest quarters shown the period column adds up
PERIOD = 4


def sum_reveals(quarterly: list[int]) -> bool:
    """Whether publishing the sum of ``quarterly`` counts would tell something of the ones
    shown as "<5".

    The sum minus the counts shown is the hidden counts together, exactly. A reader takes each
    hidden count for anything from 0 to 4; the sum narrows one of them when the others could
    not make up the rest (more than 4 for each other hidden count), or when the hidden ones
    together are below 4 (so none of them can be 4). A single hidden count is given away."""
    hidden = [value for value in quarterly if suppressed(value)]
    if not hidden:
        return False
    together = sum(hidden)
    most = THRESHOLD - 1
    return together < most or together > most * (len(hidden) - 1)


@dataclass(frozen=True)
class RowSpec:
    label: str | Promise
    metric: str
    domain: str = ""


@dataclass(frozen=True)
class TableSpec:
    slug: str
    title: str | Promise
    explanation: str | Promise
    rows: tuple[RowSpec, ...]


def _by_domain(metric: str, total: str | Promise) -> tuple[RowSpec, ...]:
    return (
        RowSpec(total, metric),
        *(RowSpec(label, metric, value) for value, label in Domain.choices),
    )


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "active-professionals",
        _("Active professionals by domain"),
        _(
            "Professionals who posted a message, read or discussed an article or registered "
            "for a learning session in the quarter. Someone working in several domains counts "
            "in each of them, and once in the total."
        ),
        _by_domain(Metric.ACTIVE_PROFESSIONALS, _("All domains")),
    ),
    TableSpec(
        "cross-domain",
        _("Working together across domains"),
        _(
            "A new connection is a medical and a social professional in contact for the first "
            "time: a direct conversation, or a reply to each other in a shared channel. Case "
            "rooms count when their members come from two or more domains; only the number "
            "of rooms is used, never their content."
        ),
        (
            RowSpec(_("New cross-domain connections"), Metric.CROSS_DOMAIN_CONNECTIONS),
            RowSpec(_("Cross-domain case rooms opened"), Metric.CASE_ROOMS_OPENED),
            RowSpec(_("Cross-domain case rooms closed"), Metric.CASE_ROOMS_CLOSED),
        ),
    ),
    TableSpec(
        "channel-messages",
        _("Messages in channels spanning both domains"),
        _(
            "Messages in open and closed channels with members from both the medical and the "
            "social side."
        ),
        (RowSpec(_("Messages"), Metric.CROSS_DOMAIN_CHANNEL_MESSAGES),),
    ),
    TableSpec(
        "articles-read",
        _("Knowledge articles read by domain"),
        _("Each article counts once per reader; readers count in each of their domains."),
        _by_domain(Metric.ARTICLES_READ, _("All domains")),
    ),
    TableSpec(
        "learning-sessions",
        _("Learning sessions"),
        _("Registrations for sessions held in the quarter, and the attendance trainers marked."),
        (
            RowSpec(_("Registrations"), Metric.SESSION_REGISTRATIONS),
            RowSpec(_("Attended"), Metric.SESSION_ATTENDANCE),
        ),
    ),
)
TABLES_BY_SLUG = {table.slug: table for table in TABLES}


@dataclass
class Row:
    label: str | Promise
    values: list[int]
    #: whether the row's counts can be added up over quarters (``ADDED_UP``)
    added_up: bool = False

    @property
    def cells(self) -> list[str]:
        return [display(value) for value in self.values]

    def period(self, *, grouping: bool = True) -> str:
        """The last ``PERIOD`` quarters together: shown from 5 on where that tells nothing of a
        quarter shown as "<5"; "–" for counts that cannot be added up."""
        if not self.added_up:
            return "–"
        quarters = self.values[-PERIOD:]
        if sum_reveals(quarters):
            return SUPPRESSED
        return display(sum(quarters), grouping=grouping)


@dataclass(frozen=True)
class Column:
    quarter: Quarter
    #: still running (or computed before it ended): its counts will still grow
    provisional: bool

    @property
    def label(self) -> str:
        return self.quarter.label

    @property
    def heading(self) -> str:
        """The column's name in a file, where no badge can say it is provisional."""
        if self.provisional:
            return gettext("%(quarter)s (provisional)") % {"quarter": self.label}
        return self.label


@dataclass
class Table:
    spec: TableSpec
    quarters: list[Quarter]
    rows: list[Row] = field(default_factory=list)
    provisional: frozenset[Quarter] = frozenset()

    @property
    def columns(self) -> list[Column]:
        return [Column(quarter, quarter in self.provisional) for quarter in self.quarters]

    @property
    def lines(self) -> list[tuple[str | Promise, list[tuple[str, bool]]]]:
        """Each row's label and cells, a cell as its text and whether it is provisional."""
        running = [column.provisional for column in self.columns]
        return [(row.label, list(zip(row.cells, running, strict=True))) for row in self.rows]

    @property
    def provisional_labels(self) -> list[str]:
        return [column.label for column in self.columns if column.provisional]

    @property
    def chart(self) -> LineChart:
        return line_chart(
            [quarter.label for quarter in self.quarters],
            [
                (row.label, [None if suppressed(value) else value for value in row.values])
                for row in self.rows
            ],
            [column.provisional for column in self.columns],
        )

    @property
    def has_period(self) -> bool:
        """Whether the table gets a column for the last ``PERIOD`` quarters: it has counts
        that add up, and more quarters than one."""
        return len(self.quarters) > 1 and any(row.added_up for row in self.rows)

    @property
    def period_quarters(self) -> tuple[Quarter, Quarter]:
        """The first and the last quarter the period column adds up."""
        return self.quarters[-PERIOD:][0], self.quarters[-1]

    @property
    def period_heading(self) -> str:
        first, last = self.period_quarters
        return gettext("%(first)s to %(last)s") % {"first": first.label, "last": last.label}

    @property
    def period_lines(self) -> list[tuple[str | Promise, list[tuple[str, bool]], str]]:
        """``lines`` with each row's cell for the last quarters together."""
        return [
            (label, cells, row.period())
            for (label, cells), row in zip(self.lines, self.rows, strict=True)
        ]

    def csv_rows(self) -> Iterable[list[str]]:
        """As the page shows it, in the request's language: "K4 2025", not "2025Q4"."""
        period = [self.period_heading] if self.has_period else []
        yield ["", *(column.heading for column in self.columns), *period]
        for row in self.rows:
            cells = [display(value, grouping=False) for value in row.values]
            if self.has_period:
                cells.append(row.period(grouping=False))
            yield [str(row.label), *cells]


def build_tables(
    figures: Iterable[Figure],
    quarters: list[Quarter],
    specs: Iterable[TableSpec] = TABLES,
    provisional: Iterable[Quarter] = (),
) -> list[Table]:
    values = {(f.metric, f.domain, f.quarter): f.value for f in figures}
    running = frozenset(provisional)
    tables = []
    for spec in specs:
        table = Table(spec, quarters, provisional=running)
        for row in spec.rows:
            counts = [values.get((row.metric, row.domain, str(q)), 0) for q in quarters]
            table.rows.append(Row(row.label, counts, added_up=row.metric in ADDED_UP))
        tables.append(table)
    return tables


def shown_quarters(
    until: Quarter | None = None,
) -> tuple[list[ComputedQuarter], list[Quarter], list[Quarter]]:
    """The computed quarters shown (oldest first; the last ``QUARTERS_SHOWN`` of them, up to
    and including ``until`` when given), as quarters, and those of them computed before they
    ended, so not complete yet (``ComputedQuarter.final``)."""
    rows = ComputedQuarter.objects.order_by("-quarter")
    if until is not None:
        rows = rows.filter(quarter__lte=str(until))
    computed = list(rows[:QUARTERS_SHOWN])[::-1]
    quarters = [Quarter.parse(row.quarter) for row in computed]
    provisional = [q for q, row in zip(quarters, computed, strict=True) if not row.final]
    return computed, quarters, provisional


def figures_for(
    computed: Iterable[ComputedQuarter],
    specs: Iterable[TableSpec],
    neighbourhood: object | None = None,
) -> Iterable[Figure]:
    """The stored figures the tables of ``specs`` need, for a neighbourhood or the region."""
    metrics = {row.metric for spec in specs for row in spec.rows}
    names = [row.quarter for row in computed]
    return Figure.objects.filter(
        quarter__in=names, neighbourhood=neighbourhood, metric__in=metrics
    ).only("quarter", "metric", "domain", "value")
