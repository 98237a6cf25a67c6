"""Two people registering for the last seat at the same moment, and two trainers saving articles
with the same title or the same new tag, on real PostgreSQL connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from knowledge import services
from knowledge.models import Article, Registration, Tag
from tests.channels_app.test_message_races import _while_held
from tests.knowledge.fixtures import article_data, make_session, verified

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_people_for_the_last_seat_get_one_seat_and_one_waiting_place(trainer):
    session = make_session(trainer, capacity=2)
    services.register(session.pk, user=verified("Eerste"))
    anna, bert = verified("Anna"), verified("Bert")
    start = threading.Barrier(2)
    both_connected = threading.Barrier(2)
    results: dict[str, str] = {}
    errors: list[BaseException] = []
    backends: set[int] = set()

    def attempt(person):
        try:
            start.wait(timeout=30)
            with connection.cursor() as cursor:  # this thread's own connection
                cursor.execute("select pg_backend_pid()")
                backends.add(cursor.fetchone()[0])
            # both connections open at once: one closed early cannot lend the other its process
            both_connected.wait(timeout=30)
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


# ---- two saves of new articles at once: the slug and a new tag are taken by the first ----------


def _save_in_parallel(first, second, first_data, second_data):
    """``second`` saves while ``first``'s save, which took the same slug or tag, is not yet
    committed: the second insert waits for the first and then finds its key taken."""
    return _while_held(
        lambda: services.save_article(None, by=first, data=first_data),
        lambda: services.save_article(None, by=second, data=second_data),
    )


def test_two_articles_with_the_same_title_saved_at_once_both_succeed(trainer):
    partner = verified("Pieter Partner", ["trainer", "professional"])
    data = article_data(title="Samen tegen eenzaamheid", tag_names=[], themes=[])
    outcome = _save_in_parallel(trainer, partner, data, data)
    assert isinstance(outcome, Article), outcome
    assert sorted(Article.objects.values_list("slug", flat=True)) == [
        "samen-tegen-eenzaamheid",
        "samen-tegen-eenzaamheid-2",
    ]


@pytest.mark.parametrize("second_name", ["buurtzorg", "Buurtzorg"])
def test_two_articles_bringing_the_same_new_tag_at_once_share_it(trainer, second_name):
    partner = verified("Pieter Partner", ["trainer", "professional"])
    outcome = _save_in_parallel(
        trainer,
        partner,
        article_data(title="Eerste", tag_names=["buurtzorg"], themes=[]),
        article_data(title="Tweede", tag_names=[second_name], themes=[]),
    )
    assert isinstance(outcome, Article), outcome
    tag = Tag.objects.get()
    assert (tag.name, tag.slug) == ("buurtzorg", "buurtzorg")
    assert sorted(tag.articles.values_list("title", flat=True)) == ["Eerste", "Tweede"]
