"""Four closed quarters of fictional pulse answers, and this quarter's statements.

The answers are drawn around averages that rise slowly, as a coalition would hope; the
current quarter has statements but no answers, so every demo professional is invited. Each
respondent is on the medical or the social side, or on both (stored without a domain), so that
the dashboard shows results per domain in some quarters and hides them in others.
"""

from __future__ import annotations

import random

from django.db import transaction

from accounts.models import User
from insights.models import PulseAnswer, PulseScale, PulseSide, PulseStatement
from insights.quarters import Quarter

#: topic, wording, scale, and per closed quarter (oldest first) the average to draw around
STATEMENTS = [
    (
        "geldzorgen",
        "Ik weet wie ik in de wijk kan benaderen voor geldzorgen van een inwoner.",
        PulseScale.AGREEMENT,
        (2.9, 3.2, 3.6, 3.9),
    ),
    (
        "samenwerken",
        "Samenwerken met het andere domein ging dit kwartaal makkelijker.",
        PulseScale.AGREEMENT,
        (2.7, 3.0, 3.3, 3.5),
    ),
    (
        "tijd",
        "Ik had genoeg tijd om inwoners goed door te verwijzen.",
        PulseScale.AGREEMENT,
        (2.6, 2.6, 2.9, 3.0),
    ),
    ("werkplezier", "Werkplezier", PulseScale.SCORE, (6.6, 6.8, 7.1, 7.3)),
]
#: how many professionals answered, per closed quarter (oldest first)
RESPONDENTS = (9, 12, 15, 17)
#: per closed quarter: how many of the respondents were medical, social and on both sides; the
#: first quarter's 4 medical hide both domains, the third's one on both sides hides the smaller
SIDES = ((4, 5, 0), (6, 6, 0), (7, 7, 1), (8, 9, 0))


def _draw(rng: random.Random, average: float, top: int) -> int:
    return min(top, max(1, round(rng.gauss(average, 0.9 if top == 5 else 1.2))))


@transaction.atomic
def seed(now_quarter: Quarter | None = None) -> dict[str, int]:
    current = now_quarter or Quarter.current()
    closed = [current]
    while len(closed) <= len(RESPONDENTS):
        closed.insert(0, closed[0].previous())
    closed.pop()  # the current quarter: statements, no answers
    for position, (topic, text, scale, _averages) in enumerate(STATEMENTS, start=1):
        for quarter in [*closed, current]:
            PulseStatement.objects.get_or_create(
                quarter=str(quarter),
                topic=topic,
                defaults={"position": position, "text": text, "scale": scale},
            )
    if PulseAnswer.objects.filter(statement__quarter__in=[str(q) for q in closed]).exists():
        return {"pulse answers": 0}
    professionals = User.objects.filter(professional__verified=True).count()
    rng = random.Random(2028)
    answers = []
    for index, (quarter, respondents) in enumerate(zip(closed, RESPONDENTS, strict=True)):
        statements = {s.topic: s for s in PulseStatement.objects.filter(quarter=str(quarter))}
        medical, social, both = SIDES[index]
        sides = [PulseSide.MEDICAL] * medical + [PulseSide.SOCIAL] * social + [""] * both
        for person in range(min(respondents, max(professionals, 5))):
            side = sides[person] if person < len(sides) else ""
            for topic, _text, scale, averages in STATEMENTS:
                top = 5 if scale == PulseScale.AGREEMENT else 10
                value = _draw(rng, averages[index], top)
                answers.append(PulseAnswer(statement=statements[topic], value=value, domain=side))
    rng.shuffle(answers)
    PulseAnswer.objects.bulk_create(answers)
    return {"pulse answers": len(answers)}
