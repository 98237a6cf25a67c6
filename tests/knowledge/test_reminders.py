"""Reminder e-mails by a management command; running it again sends nothing twice."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from knowledge import services
from knowledge.models import Registration
from tests.knowledge.fixtures import make_session, verified

pytestmark = pytest.mark.django_db


def test_it_reminds_registered_people_once(trainer, colleague):
    soon = make_session(trainer, title="Morgen", days=0, hours=5)
    later = make_session(trainer, title="Volgende maand", days=30)
    waiting = verified("Wachtende")
    services.register(soon.pk, user=colleague)
    services.save_session(soon, by=trainer, data={"capacity": 1})
    services.register(soon.pk, user=waiting)
    services.register(later.pk, user=colleague)
    assert Registration.objects.get(user=waiting).status == "waiting"

    out = StringIO()
    call_command("send_session_reminders", stdout=out)
    assert "Sent 1 reminder(s)." in out.getvalue()
    assert [m.to for m in mail.outbox] == [[colleague.email]]
    assert "Morgen" in mail.outbox[0].subject
    assert "Herinnering" in mail.outbox[0].subject

    call_command("send_session_reminders", stdout=StringIO())
    assert len(mail.outbox) == 1


def test_it_skips_cancelled_sessions(trainer, colleague):
    session = make_session(trainer, days=0, hours=5)
    services.register(session.pk, user=colleague)
    services.cancel_session(session, by=trainer)
    call_command("send_session_reminders", stdout=StringIO())
    assert mail.outbox == []
