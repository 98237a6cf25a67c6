"""The demo's pulse: four closed quarters above the threshold, and this quarter's statements."""

from __future__ import annotations

import pytest
from django.utils import translation

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


def test_the_demo_answers_have_domains_shown_in_some_quarters_and_hidden_in_others():
    for _ in range(20):
        ProfessionalFactory()
    current = Quarter.current()
    pulse_demo.seed(current)
    assert set(PulseAnswer.objects.values_list("domain", flat=True)) == {"medical", "social", ""}
    with translation.override("en"):
        report = pulse.report(current)
        shown = [
            [cell != "<5 answers" for _label, cell in q.results[0].side_results]
            for q in report.by_quarter
        ]
    # 4 medical beside 5 social; 6 and 6; 7 and 7 and one on both sides; 8 and 9
    assert shown == [[False, False], [True, True], [False, True], [True, True]]
