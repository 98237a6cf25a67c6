"""The demo's pulse: four closed quarters above the threshold, and this quarter's statements."""

from __future__ import annotations

import pytest

from demo import pulse as pulse_demo
from insights import pulse
from insights.models import PulseAnswer, PulseStatement
from insights.quarters import Quarter
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_four_closed_quarters_with_results_once():
    for _ in range(20):
        ProfessionalFactory()
    current = Quarter.current()
    pulse_demo.seed(current)
    report = pulse.report(current)
    assert len(report.quarters) == 4
    assert all(not result.suppressed for q in report.by_quarter for result in q.results)
    assert all(all(cell != "<5 antwoorden" for cell in row.cells) for row in report.trend)
    assert PulseStatement.objects.filter(quarter=str(current)).count() == 4
    assert pulse.invitation(ProfessionalFactory().user, current) == current
    answers = PulseAnswer.objects.count()
    pulse_demo.seed(current)
    assert PulseAnswer.objects.count() == answers
