"""Targets per indicator and quarter, the programme team's note per quarter, and how each
quarter's figure for the whole region compares with its target.

A target is compared only with a figure that is shown: a suppressed figure (below
``THRESHOLD``) is reported as such and never as reached or not reached, since either answer
would tell more than "<5" does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.rendering import markdown_to_text, render_markdown
from directory.models import Domain
from insights.models import ComputedQuarter, Figure, Metric, QuarterNote, Target
from insights.quarters import Quarter
from insights.report import (
    SUPPRESSED,
    TABLES,
    Table,
    TableSpec,
    display,
    protect_figures,
    suppressed,
)

#: the longest note the form takes: a few short paragraphs
NOTE_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Indicator:
    """One figure for the whole region that the dashboard shows: a metric, in total or for
    one domain."""

    metric: str
    domain: str = ""

    @property
    def key(self) -> str:
        return f"{self.metric}__{self.domain}" if self.domain else self.metric

    @property
    def label(self) -> str:
        name = str(Metric(self.metric).label)
        if not self.domain:
            return name
        return gettext("%(indicator)s: %(domain)s") % {
            "indicator": name,
            "domain": Domain(self.domain).label,
        }


def _groups() -> tuple[tuple[TableSpec, tuple[tuple[Indicator, str | Promise], ...]], ...]:
    """The dashboard's tables with their indicators and the indicators' row labels there
    ("Medical" under "Active professionals by domain"), each indicator in its first table."""
    seen: set[Indicator] = set()
    groups = []
    for spec in TABLES:
        indicators = []
        for row in spec.rows:
            indicator = Indicator(row.metric, row.domain)
            if indicator not in seen:
                seen.add(indicator)
                indicators.append((indicator, row.label))
        if indicators:
            groups.append((spec, tuple(indicators)))
    return tuple(groups)


GROUPS = _groups()
INDICATORS: tuple[Indicator, ...] = tuple(i for _spec, group in GROUPS for i, _label in group)
INDICATORS_BY_KEY = {indicator.key: indicator for indicator in INDICATORS}


class State(StrEnum):
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    #: below target in a quarter that is still running: it may yet be reached
    NOT_YET = "not_yet"
    NO_TARGET = "no_target"
    #: the figure is below the threshold and not shown, so it is not compared either
    SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Status:
    value: int
    target: int | None
    provisional: bool = False
    #: hidden in the dashboard's table beside its total, though not below the threshold
    #: (``insights.report.protect_figures``)
    hidden: bool = False

    @property
    def state(self) -> State:
        if self.target is None:
            return State.NO_TARGET
        if self.hidden or suppressed(self.value):
            return State.SUPPRESSED
        if self.value >= self.target:
            return State.REACHED
        return State.NOT_YET if self.provisional else State.NOT_REACHED

    @property
    def shown_value(self) -> str:
        return SUPPRESSED if self.hidden else display(self.value)

    @property
    def shown_target(self) -> str:
        return "" if self.target is None else display(self.target)

    @property
    def text(self) -> str:
        """The status in words, so that it never depends on a colour: "doel 40, gehaald"."""
        state = self.state
        if state is State.NO_TARGET:
            return gettext("no target")
        words = {
            State.REACHED: _("target %(target)s, reached"),
            State.NOT_REACHED: _("target %(target)s, not reached"),
            State.NOT_YET: _("target %(target)s, not reached yet (provisional)"),
            State.SUPPRESSED: _("target %(target)s; the figure is below 5 and not compared"),
        }[state]
        return str(words) % {"target": self.shown_target}

    @property
    def badge(self) -> str:
        """The Utrecht status badge's variant; the text says the same."""
        return {
            State.REACHED: "success",
            State.NOT_REACHED: "danger",
            State.NOT_YET: "warning",
            State.NO_TARGET: "neutral",
            State.SUPPRESSED: "neutral",
        }[self.state]


@dataclass
class QuarterReport:
    """A quarter on the dashboard: its note and each targeted indicator's status."""

    quarter: Quarter
    provisional: bool
    note: QuarterNote | None = None
    lines: list[tuple[Indicator, Status]] = field(default_factory=list)

    @property
    def note_html(self) -> SafeString | str:
        return render_markdown(self.note.text) if self.note else ""


def quarter_reports(computed: Iterable[ComputedQuarter]) -> list[QuarterReport]:
    """Newest first, the computed quarters that have a target or a note. Each lists every
    indicator that has a target in any of them, so "no target" shows where one is missing."""
    rows = list(computed)
    names = [row.quarter for row in rows]
    targets = {
        (t.indicator, t.quarter): t.value
        for t in Target.objects.filter(quarter__in=names, indicator__in=INDICATORS_BY_KEY)
    }
    notes = {note.quarter: note for note in QuarterNote.objects.filter(quarter__in=names)}
    targeted = {key for key, _quarter in targets}
    indicators = [indicator for indicator in INDICATORS if indicator.key in targeted]
    values = {
        (f.metric, f.domain, f.quarter): f.value
        for f in Figure.objects.filter(
            quarter__in=names,
            neighbourhood=None,
            metric__in={indicator.metric for indicator in indicators},
        ).only("quarter", "metric", "domain", "value")
    }
    # the region's hidden counts depend on the region's figures only
    hidden = protect_figures(
        {(None, *key): value for key, value in values.items()},
        [Quarter.parse(name) for name in names],
    )
    reports = []
    for row in sorted(rows, key=lambda row: row.quarter, reverse=True):
        if row.quarter not in notes and not any(q == row.quarter for _k, q in targets):
            continue
        report = QuarterReport(Quarter.parse(row.quarter), not row.final, notes.get(row.quarter))
        for indicator in indicators:
            value = values.get((indicator.metric, indicator.domain, row.quarter), 0)
            target = targets.get((indicator.key, row.quarter))
            key = (None, indicator.metric, indicator.domain, row.quarter)
            status = Status(value, target, report.provisional, hidden=key in hidden)
            report.lines.append((indicator, status))
        reports.append(report)
    return reports


def csv_rows(table: Table) -> list[list[str]]:
    """The rows a table's file gets after its figures: a target row for each of its indicators
    that has a target in its quarters, then the programme team's notes."""
    names = [str(quarter) for quarter in table.quarters]
    targets = {(t.indicator, t.quarter): t.value for t in Target.objects.filter(quarter__in=names)}
    notes = dict(QuarterNote.objects.filter(quarter__in=names).values_list("quarter", "text"))
    rows = []
    for row in table.spec.rows:
        key = Indicator(row.metric, row.domain).key
        cells = [targets.get((key, name)) for name in names]
        if any(cell is not None for cell in cells):
            label = gettext("%(row)s: target") % {"row": row.label}
            rows.append([label, *("" if c is None else str(c) for c in cells)])
    if notes:
        rows.append(
            [gettext("Programme team's note"), *(markdown_to_text(notes.get(n, "")) for n in names)]
        )
    return rows


def quarter_choices(computed: Iterable[ComputedQuarter]) -> list[Quarter]:
    """The quarters a target or note can be set for: those the dashboard shows, the running
    one and the next, newest first."""
    current = Quarter.current()
    quarters = {Quarter.parse(row.quarter) for row in computed} | {current, current.next()}
    return sorted(quarters, reverse=True)


@transaction.atomic
def save_quarter(
    quarter: Quarter, targets: Mapping[str, int | None], note: str, *, by: User
) -> None:
    """Set, change or clear the quarter's targets (``None`` clears one) and its note (empty
    clears it). Unchanged targets keep who set them and when."""
    now = timezone.now()
    existing = {t.indicator: t for t in Target.objects.filter(quarter=str(quarter))}
    for key, value in targets.items():
        if key not in INDICATORS_BY_KEY:
            raise ValueError(f"not an indicator: {key!r}")
        target = existing.get(key)
        if value is None:
            if target is not None:
                target.delete()
        elif target is None:
            Target.objects.create(
                indicator=key, quarter=str(quarter), value=value, set_by=by, set_at=now
            )
        elif target.value != value:
            target.value, target.set_by, target.set_at = value, by, now
            target.save(update_fields=["value", "set_by", "set_at"])
    text = note.strip()
    current = QuarterNote.objects.filter(quarter=str(quarter)).first()
    if not text:
        if current is not None:
            current.delete()
    elif current is None:
        QuarterNote.objects.create(quarter=str(quarter), text=text, written_by=by, updated_at=now)
    elif current.text != text:
        current.text, current.written_by, current.updated_at = text, by, now
        current.save(update_fields=["text", "written_by", "updated_at"])
