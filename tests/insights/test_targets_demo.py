"""The demo's programme team has set targets for the last quarters and explained each one."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from insights.models import ComputedQuarter, QuarterNote, Target
from insights.targets import State, quarter_reports

pytestmark = pytest.mark.django_db


def test_seed_demo_sets_targets_and_notes_that_read_as_a_programme_team_would(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    quarters = list(ComputedQuarter.objects.order_by("quarter").values_list("quarter", flat=True))
    last = quarters[-5:]
    assert set(QuarterNote.objects.values_list("quarter", flat=True)) == set(last)
    assert QuarterNote.objects.filter(written_by__email__startswith="programma@").count() == 5
    assert set(Target.objects.values_list("quarter", flat=True)) == set(last[-4:])
    reports = quarter_reports(ComputedQuarter.objects.all())
    states = {status.state for report in reports for _indicator, status in report.lines}
    assert {State.REACHED, State.NOT_REACHED, State.NOT_YET} <= states
    # the running quarter's note says its figures are provisional, and none is missed yet
    assert reports[0].provisional and "voorlopig" in reports[0].note.text
    running = {status.state for _i, status in reports[0].lines}
    assert running <= {State.NOT_YET, State.REACHED, State.SUPPRESSED}

    counts = (Target.objects.count(), QuarterNote.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Target.objects.count(), QuarterNote.objects.count()) == counts
