"""The programme team's targets for the demo's last quarters and a note on each quarter.

Real targets are set before a quarter; the demo's activity is generated, so its targets are
derived from the computed figures (above or below them as ``TARGETS`` says), which gives the
mix of reached and missed that the notes explain. Run after ``demo.insights`` has computed
the figures. Targets and notes already there are left as they are: a programme manager may
have changed them in the demo.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from demo.directory import demo_email
from insights.models import ComputedQuarter, Figure, Metric, QuarterNote, Target
from insights.quarters import Quarter
from insights.report import THRESHOLD

#: per indicator, for the last four quarters (oldest first, the running one last): the target
#: as a share of the figure, above 1 not reached, below 1 reached
TARGETS = {
    Metric.ACTIVE_PROFESSIONALS.value: (0.9, 1.1, 0.95, 1.2),
    Metric.CROSS_DOMAIN_CONNECTIONS.value: (0.8, 0.9, 1.15, 1.1),
    Metric.ARTICLES_READ.value: (1.2, 1.1, 0.9, 1.2),
    Metric.SESSION_ATTENDANCE.value: (0.9, 1.2, 0.9, 1.1),
}

#: the notes on the last five quarters, oldest first; the first had no targets yet
NOTES = (
    "Startkwartaal van het platform. De eerste huisartsenpraktijken, de wijkverpleging en het "
    "sociaal wijkteam in Hoensbroek zijn aangesloten. De aantallen zijn nog klein; we hebben "
    "voor dit kwartaal bewust geen doelen gezet en gebruiken het als nulmeting.",
    "Eerste kwartaal met doelen. **Actieve professionals** en **nieuwe verbindingen** tussen "
    "zorg en sociaal domein liggen boven het doel, vooral dankzij de startbijeenkomst in "
    "Wijkcentrum Hoensbroek.\n\nHet lezen van kennisartikelen blijft achter: veel collega's "
    "kennen de kennisbank nog niet. We vragen de organisaties de kennisbank in hun "
    "teamoverleg te noemen.",
    "Het aantal actieve professionals bleef onder het doel: twee huisartsenpraktijken wachtten "
    "nog op hun accounts. De nieuwe verbindingen groeiden wel, vooral tussen wijkverpleging en "
    "schuldhulpverlening.\n\nDe leersessie over signalen van geldzorgen was vol, maar de "
    "opkomst viel tegen. Vanaf nu sturen we de dag ervoor een herinnering.",
    "Actieve professionals, gelezen kennisartikelen en de opkomst bij leersessies liggen "
    "boven het doel: de herinnering vooraf werkt. Het doel voor nieuwe verbindingen hadden we "
    "hoger gezet en is niet gehaald: veel professionals kennen elkaar inmiddels, de groei zit "
    "nu in samenwerken binnen bestaande contacten.",
    "Het kwartaal loopt nog, dus de cijfers zijn voorlopig en de doelen nog niet gehaald. "
    "Aandacht dit kwartaal:\n\n- de jeugdverpleegkundigen in Heerlen-Noord sluiten aan;\n"
    "- een tweede leersessie over Positieve Gezondheid.",
)


def _target(value: int, share: float) -> int:
    """A round target (a multiple of 5, at least the threshold) on the side ``share`` says."""
    exact = value * share / 5
    return max(THRESHOLD, 5 * (math.ceil(exact) if share > 1 else math.floor(exact)))


def seed() -> dict[str, int]:
    manager = User.objects.filter(email=demo_email("programma")).first()
    quarters = list(
        ComputedQuarter.objects.order_by("-quarter").values_list("quarter", flat=True)[: len(NOTES)]
    )[::-1]
    if not quarters:
        return {"targets and notes of the programme team": 0}
    figures = {
        (f.metric, f.quarter): f.value
        for f in Figure.objects.filter(
            quarter__in=quarters, metric__in=TARGETS, neighbourhood=None, domain=""
        )
    }
    now = timezone.now()
    added = 0
    for quarter, text in zip(quarters, NOTES[-len(quarters) :], strict=True):
        _note, created = QuarterNote.objects.get_or_create(
            quarter=quarter,
            # written in the weeks after the quarter, or now for the running one
            defaults={
                "text": text,
                "written_by": manager,
                "updated_at": min(Quarter.parse(quarter).end + timedelta(days=12), now),
            },
        )
        added += created
    with_targets = quarters[-len(next(iter(TARGETS.values()))) :]
    for metric, shares in TARGETS.items():
        for quarter, share in zip(with_targets, shares[-len(with_targets) :], strict=True):
            value = _target(figures.get((metric, quarter), 0), share)
            _target_row, created = Target.objects.get_or_create(
                indicator=metric,
                quarter=quarter,
                # set in the weeks before the quarter began
                defaults={
                    "value": value,
                    "set_by": manager,
                    "set_at": min(Quarter.parse(quarter).start - timedelta(days=20), now),
                },
            )
            added += created
    return {"targets and notes of the programme team": added}
