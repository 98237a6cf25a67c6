"""Learning sessions: register, unregister, waiting list, deadline, attendance, materials."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.utils import timezone

from knowledge import services
from knowledge.models import Article, LearningSession, Registration, SessionMaterial
from tests.knowledge.fixtures import make_session, pdf_bytes, upload, verified

pytestmark = pytest.mark.django_db


def _status(session, user):
    return Registration.objects.get(session=session, user=user).status


def test_only_trainers_plan_sessions(client, trainer, colleague):
    starts = timezone.localtime() + timedelta(days=5)
    form = {
        "title": "Leersessie",
        "description": "Uitleg",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "location": "Buurthuis",
        "capacity": 10,
        "registration_deadline": (starts - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    client.force_login(colleague)
    assert client.get("/knowledge/sessions/new/").status_code == HTTPStatus.NOT_FOUND
    assert client.post("/knowledge/sessions/new/", form).status_code == HTTPStatus.NOT_FOUND
    client.force_login(trainer)
    bad = client.post("/knowledge/sessions/new/", form | {"ends_at": form["starts_at"]})
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    response = client.post("/knowledge/sessions/new/", form)
    session = LearningSession.objects.get()
    assert response["Location"] == f"/knowledge/sessions/{session.pk}/"
    assert list(session.trainers.all()) == [trainer]
    client.force_login(colleague)
    assert client.get(f"/knowledge/sessions/{session.pk}/edit/").status_code == 404


def test_the_waiting_list_moves_up_by_itself(client, trainer, django_capture_on_commit_callbacks):
    session = make_session(trainer, capacity=2)
    anna, bert, cor, dirk = (verified(n) for n in ("Anna", "Bert", "Cor", "Dirk"))
    for person in (anna, bert, cor, dirk):
        client.force_login(person)
        client.post(f"/knowledge/sessions/{session.pk}/register/")
    assert [_status(session, p) for p in (anna, bert, cor, dirk)] == [
        "confirmed", "confirmed", "waiting", "waiting",
    ]  # fmt: skip
    page = client.get(f"/knowledge/sessions/{session.pk}/")
    assert page.context["position"] == 2
    mail.outbox.clear()
    client.force_login(anna)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/knowledge/sessions/{session.pk}/unregister/")
    assert [_status(session, p) for p in (anna, bert, cor, dirk)] == [
        "cancelled", "confirmed", "confirmed", "waiting",
    ]  # fmt: skip
    assert [m.to for m in mail.outbox] == [[cor.email]]
    # more places: the rest of the list moves up too
    services.save_session(session, by=trainer, data={"capacity": 3})
    assert _status(session, dirk) == "confirmed"


def test_registering_twice_keeps_one_place(trainer, colleague):
    session = make_session(trainer)
    first = services.register(session.pk, user=colleague)
    second = services.register(session.pk, user=colleague)
    assert first.pk == second.pk
    assert Registration.objects.count() == 1


def test_it_closes_registration_at_the_deadline_and_when_cancelled(client, trainer, colleague):
    session = make_session(trainer, days=1)
    LearningSession.objects.filter(pk=session.pk).update(
        registration_deadline=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(colleague)
    client.post(f"/knowledge/sessions/{session.pk}/register/")
    assert not Registration.objects.exists()
    other = make_session(trainer)
    client.force_login(trainer)
    client.post(f"/knowledge/sessions/{other.pk}/cancel/")
    client.force_login(colleague)
    client.post(f"/knowledge/sessions/{other.pk}/register/")
    assert not Registration.objects.exists()
    assert client.post(f"/knowledge/sessions/{other.pk}/cancel/").status_code == 404


def test_the_trainer_records_attendance_after_the_start(client, trainer, colleague):
    session = make_session(trainer)
    absent = verified("Afwezig")
    services.register(session.pk, user=colleague)
    services.register(session.pk, user=absent)
    client.force_login(trainer)
    url = f"/knowledge/sessions/{session.pk}/attendance/"
    client.post(url, {"present": [colleague.pk]})
    assert set(Registration.objects.values_list("attended", flat=True)) == {None}  # not yet
    LearningSession.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1),
        registration_deadline=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    assert client.post(url, {"present": [colleague.pk]}).status_code == HTTPStatus.FOUND
    assert Registration.objects.get(user=colleague).attended is True
    assert Registration.objects.get(user=absent).attended is False
    client.force_login(colleague)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.post(url, {"present": [colleague.pk]}).status_code == HTTPStatus.NOT_FOUND


def test_materials_are_added_afterwards_and_past_sessions_are_archived(client, trainer, colleague):
    session = make_session(trainer)
    LearningSession.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - timedelta(days=2, hours=2),
        ends_at=timezone.now() - timedelta(days=2),
        registration_deadline=timezone.now() - timedelta(days=3),
    )
    client.force_login(colleague)
    forged = {"file": upload("dia.pdf", b"not a pdf", "application/pdf")}
    assert client.post(f"/knowledge/sessions/{session.pk}/materials/", forged).status_code == 404
    client.force_login(trainer)
    client.post(f"/knowledge/sessions/{session.pk}/materials/", forged)
    assert not SessionMaterial.objects.exists()
    client.post(
        f"/knowledge/sessions/{session.pk}/materials/",
        {"file": upload("dia.pdf", pdf_bytes("Dia"), "application/pdf")},
    )
    material = SessionMaterial.objects.get()
    client.force_login(colleague)
    response = client.get(f"/knowledge/sessions/{session.pk}/materials/{material.pk}/")
    assert response.status_code == HTTPStatus.OK
    assert "Het andere gesprek" in client.get("/knowledge/sessions/archive/").content.decode()
    assert "Het andere gesprek" not in client.get("/knowledge/sessions/").content.decode()


def test_unverified_people_cannot_see_or_join_sessions(client, trainer, library):
    session = make_session(trainer)
    client.force_login(library.unverified)
    assert client.get(f"/knowledge/sessions/{session.pk}/").status_code == 403
    assert client.post(f"/knowledge/sessions/{session.pk}/register/").status_code == 403
    assert not Registration.objects.exists()


def test_a_session_hides_a_restricted_article_link_from_outsiders(client, library):
    session = make_session(library.trainer, article=library.restricted)
    client.force_login(library.outsider)
    page = client.get(f"/knowledge/sessions/{session.pk}/")
    assert page.context["article"] is None
    assert "Werkafspraken" not in page.content.decode()
    client.force_login(library.member)
    assert client.get(f"/knowledge/sessions/{session.pk}/").context["article"] == library.restricted


def test_the_archive_counts_each_attendee_once_whatever_the_materials(client, trainer, colleague):
    session = make_session(trainer, capacity=5)
    people = [verified(n) for n in ("Anna", "Bert", "Cor")]
    for person in [*people, colleague]:
        services.register(session.pk, user=person)
    LearningSession.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1),
        registration_deadline=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    session.refresh_from_db()
    services.mark_attendance(session, by=trainer, present=[p.pk for p in people])
    for name in ("dia.pdf", "hand-out.pdf"):
        services.add_material(
            session, by=trainer, upload=upload(name, pdf_bytes("Dia"), "application/pdf")
        )
    client.force_login(colleague)
    [shown] = client.get("/knowledge/sessions/archive/").context["page"].object_list
    assert (shown.attended_count, shown.material_count) == (3, 2)


def _edit_form(session, **overrides) -> dict:
    def local(moment):
        return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")

    data = {
        "title": session.title,
        "description": session.description,
        "starts_at": local(session.starts_at),
        "ends_at": local(session.ends_at),
        "location": session.location,
        "capacity": session.capacity,
        "registration_deadline": local(session.registration_deadline),
        "article": session.article_id or "",
    }
    return data | overrides


def _selected_article(page: str) -> tuple[str, str | None]:
    """The chosen option of the article field: its value, and its label if that is a title."""
    select = re.search(r'<select name="article".*?</select>', page, re.S)
    assert select is not None
    found = re.search(r'<option value="(\d*)" selected\s*>([^<]*)</option>', select.group())
    assert found is not None
    value, label = found.groups()
    titles = set(Article.objects.values_list("title", flat=True))
    return value, label if label in titles else None


def test_a_co_trainer_outside_the_articles_channels_keeps_its_link(client, library):
    co_trainer = verified("Cora Collega", ["trainer", "professional"])
    session = make_session(library.trainer, article=library.restricted, trainers=[co_trainer])
    client.force_login(co_trainer)
    page = client.get(f"/knowledge/sessions/{session.pk}/edit/").content.decode()
    assert _selected_article(page) == (str(library.restricted.pk), None)
    assert "Werkafspraken" not in page  # the title stays hidden from someone who may not read it
    response = client.post(
        f"/knowledge/sessions/{session.pk}/edit/", _edit_form(session, title="Nieuwe titel")
    )
    assert response.status_code == HTTPStatus.FOUND
    session.refresh_from_db()
    assert (session.title, session.article) == ("Nieuwe titel", library.restricted)
    # and the link can still be removed
    client.post(f"/knowledge/sessions/{session.pk}/edit/", _edit_form(session, article=""))
    session.refresh_from_db()
    assert session.article is None


def test_an_article_back_to_draft_stays_linked_when_the_session_is_edited(client, library):
    session = make_session(library.trainer, article=library.public)
    services.set_published(library.public, by=library.trainer, published=False)
    client.force_login(library.trainer)
    page = client.get(f"/knowledge/sessions/{session.pk}/edit/").content.decode()
    assert _selected_article(page) == (str(library.public.pk), "Leefstijl en bewegen")
    response = client.post(
        f"/knowledge/sessions/{session.pk}/edit/", _edit_form(session, location="Wijkcentrum")
    )
    assert response.status_code == HTTPStatus.FOUND
    session.refresh_from_db()
    assert (session.location, session.article) == ("Wijkcentrum", library.public)


def _error_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag == "error"]


def test_cancelling_a_session_tells_everyone_registered_or_waiting(
    client, trainer, django_capture_on_commit_callbacks
):
    session = make_session(trainer, capacity=1)
    anna, bert, cor = (verified(n) for n in ("Anna", "Bert", "Cor"))
    for person in (anna, bert, cor):
        services.register(session.pk, user=person)
    services.unregister(session.pk, user=cor)
    assert [_status(session, p) for p in (anna, bert, cor)] == ["confirmed", "waiting", "cancelled"]
    mail.outbox.clear()
    client.force_login(trainer)
    url = f"/knowledge/sessions/{session.pk}/cancel/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert _error_messages(response) == []
    assert sorted(m.to for m in mail.outbox) == [[anna.email], [bert.email]]
    assert all("Het andere gesprek" in m.subject for m in mail.outbox)
    assert all(f"/knowledge/sessions/{session.pk}/" in m.body for m in mail.outbox)
    session.refresh_from_db()
    cancelled = (session.cancelled_at, session.sequence)
    assert cancelled[0] is not None
    # a second time changes nothing and tells nobody again
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert len(_error_messages(response)) == 1
    session.refresh_from_db()
    assert (session.cancelled_at, session.sequence) == cancelled
    assert mail.outbox == []


@pytest.mark.parametrize("hours_ago", [1, 48])  # under way, and over
def test_a_started_or_past_session_cannot_be_cancelled(
    client, trainer, colleague, django_capture_on_commit_callbacks, hours_ago
):
    session = make_session(trainer)
    services.register(session.pk, user=colleague)
    LearningSession.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - timedelta(hours=hours_ago),
        ends_at=timezone.now() - timedelta(hours=hours_ago) + timedelta(hours=2),
        registration_deadline=timezone.now() - timedelta(days=3),
    )
    before = LearningSession.objects.get(pk=session.pk).sequence
    mail.outbox.clear()
    client.force_login(trainer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/knowledge/sessions/{session.pk}/cancel/", follow=True)
    assert len(_error_messages(response)) == 1
    session.refresh_from_db()
    assert (session.cancelled_at, session.sequence) == (None, before)
    assert mail.outbox == []


def test_a_session_needs_at_least_one_place(client, trainer):
    session = make_session(trainer, capacity=3)
    client.force_login(trainer)
    url = f"/knowledge/sessions/{session.pk}/edit/"
    response = client.post(url, _edit_form(session, capacity=0))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    form = response.context["form"]
    assert form.has_error("capacity", "min_value")
    assert "session_capacity" not in response.content.decode()
    session.refresh_from_db()
    assert session.capacity == 3
