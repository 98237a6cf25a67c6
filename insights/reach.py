"""Reach: how many of the professionals who work in the area are on the platform.

Per quarter, for each organisation, neighbourhood and domain and for the whole region:

- *registered*: professionals whose account existed at the quarter's end and is not
  deactivated; for an organisation, those whose membership there was requested by then;
- *verified*: of those, the ones whose membership was confirmed by the quarter's end (for
  the region: in at least one organisation);
- *active*: of the registered, the ones who did something in the quarter, as
  ``insights.compute`` defines it (a message, an article read or discussed, a learning-session
  registration), or who joined a case room in it;
- *active in the last four quarters*: the same over this quarter and the three before it, the
  longer period shown where a quarter's count is too small to publish.

People are counted where they are at the quarter's end: someone who moves from one
organisation to another mid-quarter counts in the new one only (the old membership is gone).
The platform keeps no history of memberships, disciplines, neighbourhoods or deactivation, so
a quarter's figures are as the platform stood when it was computed; ``compute_insights`` stops
recomputing a quarter once it was computed after its end, so that snapshot is the quarter's
end (give or take a night). A deactivated account counts nowhere in quarters computed after
the deactivation, active or not. Someone in two domains counts in each, once in the total; in
two organisations or neighbourhoods, in each of them, once in the region.

The expected number of professionals is entered per organisation (``ExpectedHeadcount``) and
applies from its quarter until a later entry; adoption is verified (or active) as a
percentage of it.

Adoption per domain and per neighbourhood is derived from the organisations (``group_adoption``):
an organisation works in the domains of its members' disciplines and in the neighbourhoods it
serves, and counts *in full* in each of them: an organisation in two neighbourhoods adds its
whole expected number and its whole active count to both (nothing is known of how its
professionals divide over them), so the neighbourhoods' percentages do not add up to the
region's. A group's adoption is the active professionals of its organisations with an expected
number over the sum of those numbers; an organisation without an expected number is left out
of both. The percentage is hidden where one of its organisations' counts is hidden in the
organisation table (the percentage times the published expected number would give the hidden
count back) and where the sum is below the threshold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from directory.models import Domain, Membership, Neighbourhood, Organisation, Professional
from insights.charts import LineChart, line_chart
from insights.compute import ACTIVITY_SOURCES, People
from insights.models import ExpectedHeadcount, ReachFigure
from insights.quarters import Quarter
from insights.report import SUPPRESSED, THRESHOLD, suppressed
from privacy.models import CaseMember, CaseRoom

# --- computing ---------------------------------------------------------------------------------


def _case_room_joiners(start: datetime, end: datetime) -> Iterable[int]:
    joined = CaseMember.objects.filter(joined_at__gte=start, joined_at__lt=end)
    opened = CaseRoom.objects.filter(created_at__gte=start, created_at__lt=end)
    return {
        *joined.order_by().values_list("user_id", flat=True),
        *opened.order_by().values_list("coordinator_id", flat=True),
    }


#: who did something in ``[start, end)``: the dashboard's activity, and joining a case room
REACH_SOURCES = [*ACTIVITY_SOURCES, _case_room_joiners]


def active_between(start: datetime, end: datetime) -> set[int]:
    active: set[int] = set()
    for source in REACH_SOURCES:
        active.update(source(start, end))
    return active


@dataclass
class _Tally:
    registered: set[int] = field(default_factory=set)
    verified: set[int] = field(default_factory=set)
    active: set[int] = field(default_factory=set)
    active_four_quarters: set[int] = field(default_factory=set)

    def add(self, user_id: int, verified: bool, active: bool, active_long: bool) -> None:
        self.registered.add(user_id)
        if verified:
            self.verified.add(user_id)
        if active:
            self.active.add(user_id)
        if active_long:
            self.active_four_quarters.add(user_id)

    def figure(self, quarter: Quarter, **place: object) -> ReachFigure:
        return ReachFigure(
            quarter=str(quarter),
            registered=len(self.registered),
            verified=len(self.verified),
            active=len(self.active),
            active_four_quarters=len(self.active_four_quarters),
            **place,
        )


def reach_figures(quarter: Quarter, people: People) -> list[ReachFigure]:
    """The quarter's figures, counted on the platform as it stands now (see the module)."""
    end = quarter.end
    registered = set(
        Professional.objects.filter(user__is_active=True, user__date_joined__lt=end).values_list(
            "user_id", flat=True
        )
    )
    memberships: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for user_id, organisation_id, verified, verified_at, created_at in (
        Membership.objects.filter(created_at__lt=end, professional__user_id__in=registered)
        .values_list(
            "professional__user_id", "organisation_id", "verified", "verified_at", "created_at"
        )
        .order_by()
    ):
        confirmed = verified and (verified_at or created_at) < end
        memberships[user_id].append((organisation_id, confirmed))
    active = active_between(quarter.start, end) & registered
    four_back = quarter.previous().previous().previous()
    active_long = active_between(four_back.start, end) & registered

    region = _Tally()
    by_organisation: dict[int, _Tally] = defaultdict(_Tally)
    by_neighbourhood: dict[int, _Tally] = defaultdict(_Tally)
    by_domain: dict[str, _Tally] = defaultdict(_Tally)
    for user_id in registered:
        verified = any(confirmed for _organisation, confirmed in memberships[user_id])
        flags = (user_id in active, user_id in active_long)
        region.add(user_id, verified, *flags)
        for organisation_id, confirmed in memberships[user_id]:
            by_organisation[organisation_id].add(user_id, confirmed, *flags)
        for neighbourhood_id in people.neighbourhoods.get(user_id, ()):
            by_neighbourhood[neighbourhood_id].add(user_id, verified, *flags)
        for domain in people.domains.get(user_id, ()):
            by_domain[domain].add(user_id, verified, *flags)
    return [
        region.figure(quarter),
        *(t.figure(quarter, organisation_id=pk) for pk, t in by_organisation.items()),
        *(t.figure(quarter, neighbourhood_id=pk) for pk, t in by_neighbourhood.items()),
        *(t.figure(quarter, domain=domain) for domain, t in by_domain.items()),
    ]


def compute_reach(quarter: Quarter, people: People | None = None) -> int:
    """Replace the quarter's reach figures; return how many were stored."""
    figures = reach_figures(quarter, people or People.load())
    with transaction.atomic():
        ReachFigure.objects.filter(quarter=str(quarter)).delete()
        ReachFigure.objects.bulk_create(figures)
    return len(figures)


def expected_numbers(quarters: Sequence[Quarter]) -> dict[tuple[int, str], int]:
    """(organisation id, quarter) → the expected number that applied in that quarter."""
    if not quarters:
        return {}
    last = str(max(quarters))
    entries = ExpectedHeadcount.objects.filter(quarter__lte=last).order_by(
        "organisation_id", "quarter"
    )
    history: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for organisation_id, quarter, number in entries.values_list(
        "organisation_id", "quarter", "number"
    ):
        history[organisation_id].append((quarter, number))
    applied = {}
    for organisation_id, entries_of in history.items():
        for quarter in quarters:
            numbers = [number for since, number in entries_of if since <= str(quarter)]
            if numbers:
                applied[organisation_id, str(quarter)] = numbers[-1]
    return applied


def reach_organisations() -> list[Organisation]:
    """The organisations the reach is shown for: the verified ones, and any with a number."""
    with_number = ExpectedHeadcount.objects.values("organisation_id")
    return list(
        Organisation.objects.filter(Q(verified=True) | Q(pk__in=with_number)).order_by("name")
    )


def set_expected(organisation: Organisation, number: int | None, by, quarter: Quarter) -> None:
    """From ``quarter`` on, expect ``number`` professionals of ``organisation``; ``None``
    removes what was entered for that quarter (an earlier entry applies again)."""
    if number is None:
        ExpectedHeadcount.objects.filter(organisation=organisation, quarter=str(quarter)).delete()
        return
    ExpectedHeadcount.objects.update_or_create(
        organisation=organisation,
        quarter=str(quarter),
        defaults={"number": number, "updated_by": by},
    )


# --- small numbers ---------------------------------------------------------------------------


def protect(
    parts: Sequence[int], total: int | None = None, also: Sequence[bool] = ()
) -> list[bool]:
    """Which of ``parts`` to hide: every count below the threshold (and those ``also`` marks),
    and, when a ``total`` of them is published, more until the hidden parts together hold at
    least the threshold (or are all 0), so that the total minus the shown parts never gives
    away a hidden count of anyone."""
    forced = list(also) or [False] * len(parts)
    hidden = [suppressed(value) or force for value, force in zip(parts, forced, strict=True)]
    if total is None or suppressed(total):
        return hidden
    while any(hidden) and not all(hidden):
        together = sum(value for value, hide in zip(parts, hidden, strict=True) if hide)
        # hidden counts that are all 0 need no cover: that a group is empty names nobody, and
        # hiding the next smallest for them would hide a real count in every table with an
        # empty domain or neighbourhood
        if together >= THRESHOLD or together == 0:
            break
        smallest = min(
            (index for index, hide in enumerate(hidden) if not hide), key=lambda i: parts[i]
        )
        hidden[smallest] = True
    return hidden


def period_reveals(quarterly: Sequence[int], hidden: Sequence[bool], period: int) -> bool:
    """Whether publishing ``period``, the people active in any of some quarters, would tell
    something of the ``quarterly`` counts that are ``hidden``.

    People active in several quarters count once in the period, so it is at most the sum of
    the quarters: the period minus the quarters shown is a lower bound of the hidden ones
    together. A reader takes each "<5" for at most 4, so a hidden count is narrowed when that
    bound exceeds what the other hidden ones could hold: a period of 24 beside shown quarters
    of 6, 7 and 8 makes the fourth at least 3. Then the period is hidden as well."""
    count = sum(hidden)
    if not count:
        return False
    shown = sum(value for value, hide in zip(quarterly, hidden, strict=True) if not hide)
    return period - shown - (THRESHOLD - 1) * (count - 1) > 0


def _count(value: int, hidden: bool) -> str:
    return SUPPRESSED if hidden else number_format(value, force_grouping=True)


def _percentage(value: int, hidden: bool, expected: int | None) -> str:
    if hidden:
        return SUPPRESSED
    if not expected:
        return "–"
    return f"{round(100 * value / expected)}%"


def _plain(cell: str) -> str:
    """A cell as a file holds it: no thousands separator (Dutch "." or English ",")."""
    return cell.replace(".", "").replace(",", "") if cell[:1].isdigit() else cell


# --- the dashboard's tables ----------------------------------------------------------------------


@dataclass
class ReachTable:
    slug: str
    title: str | Promise
    caption: str | Promise
    headings: list[str]
    #: (label, cells, whether the row is a total)
    rows: list[tuple[str, list[str], bool]] = field(default_factory=list)
    provisional_labels: list[str] = field(default_factory=list)

    def csv_rows(self) -> Iterable[list[str]]:
        yield ["", *self.headings]
        for label, cells, _total in self.rows:
            yield [label, *(_plain(cell) for cell in cells)]


@dataclass
class Reach:
    quarter: Quarter | None
    provisional: bool
    tables: list[ReachTable]
    chart: LineChart | None = None
    chart_table: ReachTable | None = None
    #: the names of the organisations without an expected number in the last quarter: they
    #: count in no adoption percentage
    without_expected: list[str] = field(default_factory=list)

    def table(self, slug: str) -> ReachTable | None:
        return next((table for table in self.tables if table.slug == slug), None)


#: the slugs of the tables ``build_reach`` makes, in their order
REACH_TABLES = (
    "reach-region",
    "reach-organisations",
    "reach-trend",
    "reach-domains",
    "reach-neighbourhoods",
    "reach-domain-adoption",
    "reach-neighbourhood-adoption",
)

COUNT_HEADINGS = (
    pgettext_lazy("reach", "Registered"),
    pgettext_lazy("reach", "Verified"),
    pgettext_lazy("reach", "Active"),
)


def _columns(figures: Sequence[ReachFigure], total: ReachFigure | None) -> list[list[bool]]:
    """Per figure, per measure (registered, verified, active, four quarters): hidden?"""
    measures = ("registered", "verified", "active", "active_four_quarters")
    masks = [
        protect(
            [getattr(f, measure) for f in figures],
            getattr(total, measure) if total else None,
        )
        for measure in measures
    ]
    return [list(row) for row in zip(*masks, strict=True)] if figures else []


def build_reach(
    quarters: Sequence[Quarter], provisional: Iterable[Quarter] = (), *, longer_period: bool = True
) -> Reach:
    """The reach tables for the last of ``quarters`` and adoption over all of them."""
    running = frozenset(provisional)
    if not quarters:
        return Reach(None, False, [])
    quarter = quarters[-1]
    # and the three before the first: the last four quarters' window of each quarter shown
    before = [quarters[0].previous()]
    for _step in range(2):
        before.append(before[-1].previous())
    wanted = [str(q) for q in [*before, *quarters]]
    figures = list(ReachFigure.objects.filter(quarter__in=wanted))
    by_quarter: dict[str, list[ReachFigure]] = defaultdict(list)
    for figure in figures:
        by_quarter[figure.quarter].append(figure)
    expected = expected_numbers(quarters)
    organisations = {o.pk: o for o in reach_organisations()}
    tables = [
        _region_trend(quarters, by_quarter, expected, running),
        _organisation_table(quarter, by_quarter, organisations, expected),
        _organisation_trend(quarters, by_quarter, organisations, expected, running),
        _domain_table(quarter, by_quarter),
        _neighbourhood_table(quarter, by_quarter, longer_period=longer_period),
        *_group_trends(quarters, by_quarter, organisations, expected, running),
    ]
    trend = tables[0]
    region = [_region(by_quarter, q) for q in quarters]
    region_expected = [_expected_total(expected, q) for q in quarters]
    chart = line_chart(
        [q.label for q in quarters],
        [
            (pgettext_lazy("reach", "Expected"), [n or None for n in region_expected]),
            (
                pgettext_lazy("reach", "Verified"),
                [None if suppressed(f.verified) else f.verified for f in region],
            ),
            (
                pgettext_lazy("reach", "Active"),
                [None if suppressed(f.active) else f.active for f in region],
            ),
        ],
        [q in running for q in quarters],
    )
    without = [
        o.name for pk, o in sorted(organisations.items(), key=lambda item: item[1].name)
        if (pk, str(quarter)) not in expected
    ]  # fmt: skip
    return Reach(quarter, quarter in running, tables, chart, trend, without)


def reach_over(quarters: Sequence[Quarter], provisional: Iterable[Quarter] = ()) -> Reach:
    """The reach as the dashboard and the quarterly report show it over ``quarters``."""
    # a longer period only says more than the quarter when an earlier quarter was computed
    return build_reach(quarters, provisional, longer_period=len(quarters) > 1)


def _region(by_quarter: dict[str, list[ReachFigure]], quarter: Quarter) -> ReachFigure:
    for figure in by_quarter.get(str(quarter), []):
        if figure.organisation_id is None and figure.neighbourhood_id is None and not figure.domain:
            return figure
    return ReachFigure(quarter=str(quarter))


def _expected_total(expected: dict[tuple[int, str], int], quarter: Quarter) -> int:
    return sum(number for (_pk, q), number in expected.items() if q == str(quarter))


def _organisation_rows(
    quarter: Quarter,
    by_quarter: dict[str, list[ReachFigure]],
    organisations: dict[int, Organisation],
) -> tuple[list[tuple[Organisation, ReachFigure]], ReachFigure, list[list[bool]], list[bool]]:
    stored = {f.organisation_id: f for f in by_quarter.get(str(quarter), []) if f.organisation_id}
    rows = [
        (organisation, stored.get(pk) or ReachFigure(quarter=str(quarter)))
        for pk, organisation in sorted(organisations.items(), key=lambda item: item[1].name)
    ]
    total = _region(by_quarter, quarter)
    masks = _columns([figure for _o, figure in rows], total)
    total_mask = [
        suppressed(total.registered),
        suppressed(total.verified),
        suppressed(total.active),
    ]
    return rows, total, masks, total_mask


def _organisation_table(quarter, by_quarter, organisations, expected) -> ReachTable:
    table = ReachTable(
        "reach-organisations",
        _("Reach per organisation"),
        gettext("Reach per organisation, %(quarter)s") % {"quarter": quarter.label},
        [
            pgettext("reach", "Expected"),
            *(str(h) for h in COUNT_HEADINGS),
            gettext("Verified of expected"),
            gettext("Active of expected"),
        ],
    )
    rows, total, masks, total_mask = _organisation_rows(quarter, by_quarter, organisations)
    for (organisation, figure), hidden in zip(rows, masks, strict=True):
        number = expected.get((organisation.pk, str(quarter)))
        table.rows.append((organisation.name, _reach_cells(figure, hidden, number), False))
    region_expected = _expected_total(expected, quarter)
    table.rows.append(
        (
            gettext("All professionals in the region"),
            _reach_cells(total, total_mask, region_expected or None),
            True,
        )
    )
    return table


def _reach_cells(figure: ReachFigure, hidden: Sequence[bool], expected: int | None) -> list[str]:
    return [
        number_format(expected, force_grouping=True) if expected else "–",
        _count(figure.registered, hidden[0]),
        _count(figure.verified, hidden[1]),
        _count(figure.active, hidden[2]),
        _percentage(figure.verified, hidden[1], expected),
        _percentage(figure.active, hidden[2], expected),
    ]


def _quarter_headings(quarters: Sequence[Quarter], running: frozenset[Quarter]) -> list[str]:
    return [
        gettext("%(quarter)s (provisional)") % {"quarter": q.label} if q in running else q.label
        for q in quarters
    ]


def _region_trend(quarters, by_quarter, expected, running) -> ReachTable:
    table = ReachTable(
        "reach-region",
        _("Adoption in the region"),
        _("Adoption in the region per quarter"),
        _quarter_headings(quarters, running),
        provisional_labels=[q.label for q in quarters if q in running],
    )
    figures = [_region(by_quarter, q) for q in quarters]
    numbers = [_expected_total(expected, q) or None for q in quarters]
    columns = list(zip(figures, [_plain_mask(f) for f in figures], numbers, strict=True))
    table.rows = [
        (
            pgettext("reach", "Expected"),
            [number_format(n, force_grouping=True) if n else "–" for n in numbers],
            False,
        ),
        (
            pgettext("reach", "Registered"),
            [_count(f.registered, h[0]) for f, h, _n in columns],
            False,
        ),
        (pgettext("reach", "Verified"), [_count(f.verified, h[1]) for f, h, _n in columns], False),
        (pgettext("reach", "Active"), [_count(f.active, h[2]) for f, h, _n in columns], False),
        (
            gettext("Verified of expected"),
            [_percentage(f.verified, h[1], n) for f, h, n in columns],
            False,
        ),
        (
            gettext("Active of expected"),
            [_percentage(f.active, h[2], n) for f, h, n in columns],
            False,
        ),
    ]
    return table


def _organisation_trend(quarters, by_quarter, organisations, expected, running) -> ReachTable:
    """Active as a percentage of expected, per organisation and quarter."""
    table = ReachTable(
        "reach-trend",
        _("Adoption per quarter"),
        _("Active professionals as a percentage of the expected number, per quarter"),
        _quarter_headings(quarters, running),
        provisional_labels=[q.label for q in quarters if q in running],
    )
    cells: dict[int | None, list[str]] = defaultdict(list)
    for quarter in quarters:
        rows, total, masks, total_mask = _organisation_rows(quarter, by_quarter, organisations)
        for (organisation, figure), hidden in zip(rows, masks, strict=True):
            number = expected.get((organisation.pk, str(quarter)))
            cells[organisation.pk].append(_percentage(figure.active, hidden[2], number))
        region_expected = _expected_total(expected, quarter)
        cells[None].append(_percentage(total.active, total_mask[2], region_expected or None))
    for pk, organisation in sorted(organisations.items(), key=lambda item: item[1].name):
        table.rows.append((organisation.name, cells[pk], False))
    table.rows.append((gettext("All professionals in the region"), cells[None], True))
    return table


def _domain_table(quarter, by_quarter) -> ReachTable:
    table = ReachTable(
        "reach-domains",
        _("Reach per domain"),
        gettext("Reach per domain, %(quarter)s") % {"quarter": quarter.label},
        [str(h) for h in COUNT_HEADINGS],
    )
    stored = {f.domain: f for f in by_quarter.get(str(quarter), []) if f.domain}
    rows = [
        (str(label), stored.get(value) or ReachFigure(quarter=str(quarter)))
        for value, label in Domain.choices
    ]
    total = _region(by_quarter, quarter)
    masks = _columns([figure for _label, figure in rows], total)
    for (label, figure), hidden in zip(rows, masks, strict=True):
        table.rows.append((label, _three(figure, hidden), False))
    table.rows.append((gettext("All domains"), _three(total, _plain_mask(total)), True))
    return table


def _window(quarter: Quarter) -> list[Quarter]:
    """The last four quarters up to ``quarter``, newest first."""
    window = [quarter]
    for _step in range(3):
        window.append(window[-1].previous())
    return window


def _neighbourhood_rows(
    quarter: Quarter, by_quarter: dict[str, list[ReachFigure]], neighbourhoods: list[Neighbourhood]
) -> tuple[list[tuple[Neighbourhood, ReachFigure]], ReachFigure, list[list[bool]]]:
    stored = {f.neighbourhood_id: f for f in by_quarter.get(str(quarter), []) if f.neighbourhood_id}
    rows = [(n, stored.get(n.pk) or ReachFigure(quarter=str(quarter))) for n in neighbourhoods]
    total = _region(by_quarter, quarter)
    return rows, total, _columns([figure for _n, figure in rows], total)


def _neighbourhood_table(quarter, by_quarter, *, longer_period: bool) -> ReachTable:
    headings = [str(h) for h in COUNT_HEADINGS]
    if longer_period:
        headings.append(gettext("Active in the last four quarters"))
    table = ReachTable(
        "reach-neighbourhoods",
        _("Reach per neighbourhood"),
        gettext("Reach per neighbourhood, %(quarter)s") % {"quarter": quarter.label},
        headings,
    )
    neighbourhoods = list(Neighbourhood.objects.all())
    window = [_neighbourhood_rows(q, by_quarter, neighbourhoods) for q in _window(quarter)]
    rows, total, masks = window[0]
    total_mask = _plain_mask(total)
    # the four quarters' count must not narrow a quarter's hidden count (``period_reveals``):
    # not this quarter's, nor one of the three before, as their own tables showed them
    regions = [region for _rows, region, _masks in window]
    total_mask[3] = total_mask[3] or period_reveals(
        [region.active for region in regions],
        [suppressed(region.active) for region in regions],
        total.active_four_quarters,
    )
    revealing = [
        period_reveals(
            [quarter_rows[index][1].active for quarter_rows, _total, _masks in window],
            [quarter_masks[index][2] for _rows, _total, quarter_masks in window],
            figure.active_four_quarters,
        )
        for index, (_n, figure) in enumerate(rows)
    ]
    # a count hidden for that is no small one: the total minus the shown ones would give it
    # back, so the total goes too
    total_mask[3] = total_mask[3] or any(revealing)
    four = protect(
        [figure.active_four_quarters for _n, figure in rows],
        None if total_mask[3] else total.active_four_quarters,
        revealing,
    )
    for mask, hide in zip(masks, four, strict=True):
        mask[3] = hide
    for (neighbourhood, figure), hidden in zip(rows, masks, strict=True):
        table.rows.append((neighbourhood.name, _three(figure, hidden, longer=longer_period), False))
    table.rows.append(
        (gettext("Whole region"), _three(total, total_mask, longer=longer_period), True)
    )
    return table


def _plain_mask(figure: ReachFigure) -> list[bool]:
    return [
        suppressed(figure.registered),
        suppressed(figure.verified),
        suppressed(figure.active),
        suppressed(figure.active_four_quarters),
    ]


def _three(figure: ReachFigure, hidden: Sequence[bool], *, longer: bool = False) -> list[str]:
    cells = [
        _count(figure.registered, hidden[0]),
        _count(figure.verified, hidden[1]),
        _count(figure.active, hidden[2]),
    ]
    if longer:
        cells.append(_count(figure.active_four_quarters, hidden[3]))
    return cells


# --- adoption per domain and neighbourhood (see the module) ---------------------------------


def organisation_groups() -> tuple[dict[int, set[str]], dict[int, set[int]]]:
    """Organisation id → the domains its members' disciplines are in, and → the ids of the
    neighbourhoods it serves."""
    domains: dict[int, set[str]] = defaultdict(set)
    for organisation_id, domain in (
        Membership.objects.filter(professional__disciplines__isnull=False)
        .values_list("organisation_id", "professional__disciplines__domain")
        .order_by()
    ):
        domains[organisation_id].add(domain)
    neighbourhoods: dict[int, set[int]] = defaultdict(set)
    for (
        organisation_id,
        neighbourhood_id,
    ) in Organisation.neighbourhoods.through.objects.values_list(
        "organisation_id", "neighbourhood_id"
    ):
        neighbourhoods[organisation_id].add(neighbourhood_id)
    return domains, neighbourhoods


def group_adoption(
    members: Iterable[int],
    counts: dict[int, tuple[int, bool]],
    expected: dict[int, int],
) -> str:
    """The active-of-expected percentage of a group of organisations (their ids,
    ``members``): ``counts`` gives each organisation's active count and whether the
    organisation table hides it, ``expected`` its expected number. Organisations without an
    expected number are left out of both sides."""
    counted = [pk for pk in members if expected.get(pk)]
    if not counted:
        return "–"
    active = sum(counts.get(pk, (0, False))[0] for pk in counted)
    hidden = suppressed(active) or any(counts.get(pk, (0, False))[1] for pk in counted)
    return _percentage(active, hidden, sum(expected[pk] for pk in counted))


def _group_trends(quarters, by_quarter, organisations, expected, running) -> list[ReachTable]:
    domains_of, neighbourhoods_of = organisation_groups()
    per_quarter = []
    for quarter in quarters:
        rows, _total, masks, _total_mask = _organisation_rows(quarter, by_quarter, organisations)
        counts = {
            organisation.pk: (figure.active, hidden[2])
            for (organisation, figure), hidden in zip(rows, masks, strict=True)
        }
        numbers = {pk: n for (pk, q), n in expected.items() if q == str(quarter)}
        per_quarter.append((counts, numbers))
    headings = _quarter_headings(quarters, running)
    provisional_labels = [q.label for q in quarters if q in running]
    domain_table = ReachTable(
        "reach-domain-adoption",
        _("Adoption per domain"),
        _(
            "Active professionals of the organisations in a domain as a percentage of their "
            "expected numbers, per quarter"
        ),
        headings,
        provisional_labels=provisional_labels,
    )
    for value, label in Domain.choices:
        members = [pk for pk in organisations if value in domains_of.get(pk, ())]
        domain_table.rows.append(
            (str(label), [group_adoption(members, c, n) for c, n in per_quarter], False)
        )
    neighbourhood_table = ReachTable(
        "reach-neighbourhood-adoption",
        _("Adoption per neighbourhood"),
        _(
            "Active professionals of the organisations serving a neighbourhood as a percentage "
            "of their expected numbers, per quarter"
        ),
        headings,
        provisional_labels=provisional_labels,
    )
    for neighbourhood in Neighbourhood.objects.all():
        members = [pk for pk in organisations if neighbourhood.pk in neighbourhoods_of.get(pk, ())]
        neighbourhood_table.rows.append(
            (neighbourhood.name, [group_adoption(members, c, n) for c, n in per_quarter], False)
        )
    return [domain_table, neighbourhood_table]
