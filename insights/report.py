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

#: a place: a neighbourhood's id, or None for the whole region
Place = int | None


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
    #: per quarter, whether its count is hidden: below the threshold, or hidden beside it
    #: (``protect_figures``); by default the counts below the threshold
    hidden: list[bool] | None = None

    def __post_init__(self) -> None:
        if self.hidden is None:
            self.hidden = [suppressed(value) for value in self.values]

    @property
    def masked(self) -> list[tuple[int, bool]]:
        return list(zip(self.values, self.hidden or [], strict=True))

    def shown(self, *, grouping: bool = True) -> list[str]:
        return [
            SUPPRESSED if hide else display(value, grouping=grouping) for value, hide in self.masked
        ]

    @property
    def cells(self) -> list[str]:
        return self.shown()

    def period(self, *, grouping: bool = True) -> str:
        """The last ``PERIOD`` quarters together, where none of them is hidden; "–" for counts
        that cannot be added up.

        A sum over hidden quarters cannot be published safely: the reports of neighbouring
        quarters add up overlapping windows, and the difference of two of them is one quarter
        minus another, so one hidden count follows from the counts shown (3, 2, 2, 10 and 2, 2,
        10, 10 add up to 17 and 24: the first quarter is 17 − 24 + 10 = 3)."""
        if not self.added_up:
            return "–"
        window = self.masked[-PERIOD:]
        if any(hide for _value, hide in window):
            return SUPPRESSED
        return display(sum(value for value, _hide in window), grouping=grouping)


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
                (row.label, [None if hide else value for value, hide in row.masked])
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
            cells = row.shown(grouping=False)
            if self.has_period:
                cells.append(row.period(grouping=False))
            yield [str(row.label), *cells]


def _domains(specs: Iterable[TableSpec]) -> dict[str, list[str]]:
    """Metric → the domains the tables show it for beside its total (none for most)."""
    domains: dict[str, list[str]] = {}
    for spec in specs:
        for row in spec.rows:
            shown = domains.setdefault(row.metric, [])
            if row.domain and row.domain not in shown:
                shown.append(row.domain)
    return domains


def protect_figures(
    values: dict[tuple[Place, str, str, str], int],
    quarters: Iterable[Quarter],
    specs: Iterable[TableSpec] = TABLES,
    neighbourhoods: Iterable[int] = (),
) -> set[tuple[Place, str, str, str]]:
    """The (place, metric, domain, quarter) counts to hide, of ``values`` (missing ones are 0).

    Every count below the threshold, and more where a total would give one back
    (complementary suppression, ``insights.reach.protect``): a place's domains beside its
    "All domains", and the neighbourhoods beside the whole region, domain by domain. In each of
    those lines the hidden counts hold at least the threshold together, so the total minus the
    shown ones never gives a hidden count away (a professional may have several disciplines or
    neighbourhoods, or none, but where all have one the counts add up exactly). A quarter's
    hidden counts depend on nothing but that quarter's figures, so every page, file and report
    showing it hides the same ones; the region's depend on the region's figures only."""
    from insights.reach import protect  # reach builds on this module

    places: list[Place] = [None, *neighbourhoods]
    hidden: set[tuple[Place, str, str, str]] = set()
    for metric, domains in _domains(specs).items():
        for quarter in quarters:
            name = str(quarter)
            grid = {
                (place, domain): values.get((place, metric, domain, name), 0)
                for place in places
                for domain in ["", *domains]
            }
            hide = {key: suppressed(value) for key, value in grid.items()}
            lines = [
                ((place, ""), [(place, domain) for domain in domains])
                for place in places
                if domains
            ] + [
                ((None, domain), [(place, domain) for place in places[1:]])
                for domain in ["", *domains]
                if len(places) > 1
            ]
            changed = True
            while changed:
                changed = False
                for total, parts in lines:
                    mask = protect(
                        [grid[key] for key in parts], grid[total], [hide[key] for key in parts]
                    )
                    for key, now in zip(parts, mask, strict=True):
                        if now and not hide[key]:
                            hide[key] = changed = True
            hidden.update(
                (place, metric, domain, name) for (place, domain), now in hide.items() if now
            )
    return hidden


def build_tables(
    figures: Iterable[Figure],
    quarters: list[Quarter],
    specs: Iterable[TableSpec] = TABLES,
    provisional: Iterable[Quarter] = (),
    *,
    neighbourhood: Place = None,
    neighbourhoods: Iterable[int] = (),
) -> list[Table]:
    """The tables of ``specs`` for ``neighbourhood`` (None: the whole region). ``figures``
    holds the region's and every one of ``neighbourhoods``' figures, so that the counts
    hidden beside a total are the same on every neighbourhood's page (``protect_figures``)."""
    specs = list(specs)
    values = {(f.neighbourhood_id, f.metric, f.domain, f.quarter): f.value for f in figures}
    hidden = protect_figures(values, quarters, specs, list(neighbourhoods))
    running = frozenset(provisional)
    tables = []
    for spec in specs:
        table = Table(spec, quarters, provisional=running)
        for row in spec.rows:
            keys = [(neighbourhood, row.metric, row.domain, str(q)) for q in quarters]
            table.rows.append(
                Row(
                    row.label,
                    [values.get(key, 0) for key in keys],
                    added_up=row.metric in ADDED_UP,
                    hidden=[key in hidden for key in keys],
                )
            )
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


def figures_for(computed: Iterable[ComputedQuarter], specs: Iterable[TableSpec]) -> list[Figure]:
    """The stored figures the tables of ``specs`` need, for the region and every
    neighbourhood: what is hidden in one place depends on the others (``protect_figures``)."""
    metrics = {row.metric for spec in specs for row in spec.rows}
    names = [row.quarter for row in computed]
    return list(
        Figure.objects.filter(quarter__in=names, metric__in=metrics).only(
            "quarter", "metric", "domain", "value", "neighbourhood_id"
        )
    )
