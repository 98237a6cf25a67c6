"""Two people registering for the last seat at the same moment, on real PostgreSQL connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from knowledge import services
from knowledge.models import Registration
from tests.knowledge.fixtures import make_session, verified

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_people_for_the_last_seat_get_one_seat_and_one_waiting_place(trainer):
    session = make_session(trainer, capacity=2)
    services.register(session.pk, user=verified("Eerste"))
    anna, bert = verified("Anna"), verified("Bert")
    start = threading.Barrier(2)
    results: dict[str, str] = {}
    errors: list[BaseException] = []
    backends: set[int] = set()

    def attempt(person):
        try:
            start.wait(timeout=30)
            with connection.cursor() as cursor:  # this thread's own connection
                cursor.execute("select pg_backend_pid()")
                backends.add(cursor.fetchone()[0])
            results[person.display_name] = services.register(session.pk, user=person).status
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(p,)) for p in (anna, bert)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(backends) == 2  # two separate database sessions raced
    assert sorted(results.values()) == ["confirmed", "waiting"]
    confirmed = Registration.objects.filter(session=session, status="confirmed").count()
    waiting = Registration.objects.filter(session=session, status="waiting").count()
    assert (confirmed, waiting) == (2, 1)


def test_many_people_at_once_never_overfill_a_session(trainer):
    session = make_session(trainer, capacity=3)
    people = [verified(f"Persoon {n}") for n in range(8)]
    start = threading.Barrier(len(people))
    errors: list[BaseException] = []

    def attempt(person):
        try:
            start.wait(timeout=30)
            services.register(session.pk, user=person)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Registration.objects.filter(status="confirmed").count() == 3
    assert Registration.objects.filter(status="waiting").count() == 5
