"""The pulse: a few statements per quarter on experienced quality and work satisfaction.

Answers are stored without their person (``PulseAnswer``); a separate row says only that a
person answered in the quarter (``PulseParticipation``), to refuse a second answer. When the
quarter closes (``close_quarters``, run by ``compute_insights``) the participation rows are
deleted and the answers rewritten in a random order with new ids in one transaction, so that
no stored answer can be joined back to its person. Results are shown only for closed
quarters, and only for statements with at least ``THRESHOLD`` answers. See docs/PRIVACY.md.

An answer keeps one thing of its person: the side of their disciplines (``side_of``), medical
or social, empty for someone on both sides or on neither. A side's result is shown where it has
at least ``THRESHOLD`` answers and the statement's other answers, which the total minus the
side would give, are none or at least ``THRESHOLD`` too (``side_results``).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.formats import number_format
from django.utils.translation import gettext

from directory.models import Discipline, Domain, Professional
from insights.charts import LineChart, line_chart
from insights.models import (
    PulseAnswer,
    PulseDismissal,
    PulseParticipation,
    PulseScale,
    PulseSide,
    PulseStatement,
)
from insights.quarters import Quarter
from insights.report import THRESHOLD

#: how many closed quarters the dashboard shows, newest last
QUARTERS_SHOWN = 8

# Not predictable from outside: the order answers are rewritten in must not be reproducible.
_shuffle = random.SystemRandom().shuffle


class AlreadyAnswered(Exception):
    """The person has answered this quarter's pulse already."""


def statements(quarter: Quarter) -> list[PulseStatement]:
    return list(PulseStatement.objects.filter(quarter=str(quarter)))


def may_answer(user) -> bool:
    """Verified professionals answer the pulse; administrators without a profile do not."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and Professional.objects.filter(user=user, verified=True).exists()
    )


def has_answered(user, quarter: Quarter) -> bool:
    return PulseParticipation.objects.filter(user=user, quarter=str(quarter)).exists()


def invitation(user, quarter: Quarter | None = None) -> Quarter | None:
    """The quarter whose pulse ``user`` is invited to on the home page, if any: there are
    statements, and they have neither answered nor dismissed the reminder."""
    quarter = quarter or Quarter.current()
    if not may_answer(user) or not PulseStatement.objects.filter(quarter=str(quarter)).exists():
        return None
    if has_answered(user, quarter):
        return None
    if PulseDismissal.objects.filter(user=user, quarter=str(quarter)).exists():
        return None
    return quarter


def dismiss(user, quarter: Quarter) -> None:
    PulseDismissal.objects.get_or_create(user=user, quarter=str(quarter))


def side_of(user) -> str:
    """The side of ``user``'s disciplines: medical, social, or empty (both sides, or none)."""
    domains = set(
        Discipline.objects.filter(professional__user=user).values_list("domain", flat=True)
    )
    if not domains:
        return ""
    medical = {domain in Domain.medical_side() for domain in domains}
    if medical == {True}:
        return PulseSide.MEDICAL
    if medical == {False}:
        return PulseSide.SOCIAL
    return ""


def answer(user, quarter: Quarter, values: Mapping[PulseStatement, int]) -> None:
    """Store ``user``'s answers to the quarter's statements, without ``user``.

    Raises ``AlreadyAnswered`` for a second answer in the same quarter (also when two arrive
    at once: the database's unique constraint decides).
    """
    for statement, value in values.items():
        if statement.quarter != str(quarter) or value not in statement.values_offered:
            raise ValueError(f"{value!r} is no answer to {statement!r} in {quarter}")
    side = side_of(user)
    answers = [
        PulseAnswer(statement=statement, value=value, domain=side)
        for statement, value in values.items()
    ]
    _shuffle(answers)
    try:
        with transaction.atomic():
            PulseParticipation.objects.create(user=user, quarter=str(quarter))
            PulseAnswer.objects.bulk_create(answers)
    except IntegrityError:
        raise AlreadyAnswered from None


def close_quarter(quarter: Quarter) -> int:
    """Make the quarter's answers unlinkable to the people who gave them; return how many
    participation records were deleted.

    The answers are written anew, in a random order and with new ids, and the participation
    records and dismissed reminders deleted, in one transaction: afterwards neither a foreign
    key, nor an id, nor the order of the rows relates an answer to a person.
    """
    with transaction.atomic():
        stored = PulseAnswer.objects.filter(statement__quarter=str(quarter))
        rows = list(stored.values_list("statement_id", "value", "domain"))
        stored.delete()
        _shuffle(rows)
        PulseAnswer.objects.bulk_create(
            PulseAnswer(statement_id=statement_id, value=value, domain=side)
            for statement_id, value, side in rows
        )
        deleted, _kinds = PulseParticipation.objects.filter(quarter=str(quarter)).delete()
        PulseDismissal.objects.filter(quarter=str(quarter)).delete()
    return deleted


def open_quarters(current: Quarter | None = None) -> list[Quarter]:
    """Ended quarters that still hold participation records or dismissed reminders."""
    current = current or Quarter.current()
    names = set(PulseParticipation.objects.values_list("quarter", flat=True).distinct())
    names |= set(PulseDismissal.objects.values_list("quarter", flat=True).distinct())
    return sorted(q for q in map(Quarter.parse, names) if q < current)


def close_quarters(current: Quarter | None = None) -> list[Quarter]:
    """Close every ended quarter that is not closed yet; return them."""
    quarters = open_quarters(current)
    for quarter in quarters:
        close_quarter(quarter)
    return quarters


# --- results ------------------------------------------------------------------------------


def _decimal(value: float) -> str:
    # rounded: number_format only cuts the digits off (3.67 would read "3,6")
    return number_format(round(value, 1), decimal_pos=1)


@dataclass
class Result:
    """One statement in one quarter: its answers counted per value."""

    statement: PulseStatement
    counts: Counter[int] = field(default_factory=Counter)
    #: per side (medical, social, "" for the rest): its answers counted per value
    sides: dict[str, Counter[int]] = field(default_factory=dict)

    @property
    def answers(self) -> int:
        return sum(self.counts.values())

    @property
    def suppressed(self) -> bool:
        return self.answers < THRESHOLD

    @property
    def average(self) -> float | None:
        if self.suppressed:
            return None
        return sum(value * n for value, n in self.counts.items()) / self.answers

    @property
    def average_text(self) -> str:
        average = self.average
        return "" if average is None else _decimal(average)

    @property
    def distribution(self) -> list[tuple[int, int, int]]:
        """Per value offered: the value, its count, and its share in whole percent."""
        if self.suppressed:
            return []
        total = self.answers
        return [
            (value, self.counts[value], round(100 * self.counts[value] / total))
            for value in self.statement.values_offered
        ]

    @property
    def side_results(self) -> list[tuple[str, str]]:
        """Per side (medical, social): its label and its average, or "<5 answers" where it is
        hidden: fewer than ``THRESHOLD`` answers, or the rest of the statement's answers (the
        total minus what is shown) would be fewer than ``THRESHOLD`` but more than none."""
        # imported here: insights.reach loads the activity sources, the pulse needs none
        from insights.reach import protect

        sides = [PulseSide.MEDICAL, PulseSide.SOCIAL]
        parts = [sum(self.sides.get(side, Counter()).values()) for side in sides]
        rest = self.answers - sum(parts)
        if rest:
            hidden = protect([*parts, rest], self.answers, [False, False, True])[:2]
        else:
            hidden = protect(parts, self.answers)
        if self.suppressed:
            hidden = [True, True]
        hidden_text = gettext("<%(threshold)d answers") % {"threshold": THRESHOLD}
        cells = []
        for side, hide in zip(sides, hidden, strict=True):
            if hide:
                cells.append((str(side.label), hidden_text))
            else:
                part = Result(self.statement, self.sides[side])
                cells.append((str(side.label), part.average_text))
        return cells


@dataclass
class QuarterResults:
    quarter: Quarter
    results: list[Result]


@dataclass
class TrendRow:
    topic: str
    text: str
    scale: str
    #: per quarter shown: the average, or None (no such statement, or fewer than 5 answers)
    averages: list[float | None]
    #: per quarter shown: whether the statement was asked that quarter
    asked: list[bool]

    @property
    def cells(self) -> list[str]:
        return [
            _decimal(average)
            if average is not None
            else (gettext("<%(threshold)d answers") % {"threshold": THRESHOLD} if asked else "–")
            for average, asked in zip(self.averages, self.asked, strict=True)
        ]


@dataclass
class PulseReport:
    quarters: list[Quarter]
    by_quarter: list[QuarterResults]
    trend: list[TrendRow]

    @property
    def latest(self) -> QuarterResults | None:
        return self.by_quarter[-1] if self.by_quarter else None

    @property
    def earlier(self) -> list[QuarterResults]:
        return self.by_quarter[-2::-1]

    def chart(self, scale: str) -> LineChart | None:
        rows = [row for row in self.trend if row.scale == scale]
        if not rows:
            return None
        return line_chart(
            [quarter.label for quarter in self.quarters],
            [(row.text, row.averages) for row in rows],  # type: ignore[misc]
        )

    @property
    def agreement_chart(self) -> LineChart | None:
        return self.chart(PulseScale.AGREEMENT)

    @property
    def score_chart(self) -> LineChart | None:
        return self.chart(PulseScale.SCORE)


def closed_quarters(current: Quarter | None = None) -> list[Quarter]:
    """Ended quarters with statements and no participation records left: their answers
    can no longer be linked to anyone, so they may be shown."""
    current = current or Quarter.current()
    still_open = set(open_quarters(current))
    asked = PulseStatement.objects.values_list("quarter", flat=True).distinct()
    return sorted(
        quarter
        for quarter in {Quarter.parse(name) for name in asked}
        if quarter < current and quarter not in still_open
    )


def report(current: Quarter | None = None) -> PulseReport:
    """Every closed quarter's results (the last ``QUARTERS_SHOWN``) and the trend per topic."""
    quarters = closed_quarters(current)[-QUARTERS_SHOWN:]
    names = [str(quarter) for quarter in quarters]
    asked = list(PulseStatement.objects.filter(quarter__in=names))
    counts: dict[int, Counter[int]] = {statement.pk: Counter() for statement in asked}
    sides: dict[int, dict[str, Counter[int]]] = {statement.pk: {} for statement in asked}
    answers = (
        PulseAnswer.objects.filter(statement__in=asked)
        .order_by()
        .values_list("statement_id", "value", "domain")
    )
    for statement_id, value, side in answers:
        counts[statement_id][value] += 1
        sides[statement_id].setdefault(side, Counter())[value] += 1
    by_quarter = [
        QuarterResults(
            quarter,
            [Result(s, counts[s.pk], sides[s.pk]) for s in asked if s.quarter == str(quarter)],
        )
        for quarter in quarters
    ]
    return PulseReport(quarters, by_quarter, _trend(quarters, by_quarter))


def _trend(quarters: list[Quarter], by_quarter: Iterable[QuarterResults]) -> list[TrendRow]:
    rows: dict[str, TrendRow] = {}
    for index, results in enumerate(by_quarter):
        for result in results.results:
            statement = result.statement
            row = rows.setdefault(
                statement.topic,
                TrendRow(
                    statement.topic,
                    statement.text,
                    statement.scale,
                    [None] * len(quarters),
                    [False] * len(quarters),
                ),
            )
            row.text = statement.text  # the newest wording
            row.averages[index] = result.average
            row.asked[index] = True
    return list(rows.values())
