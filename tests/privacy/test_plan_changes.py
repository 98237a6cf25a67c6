"""Goals and agreements are changed and removed by whoever may add to the plan; every change is
in the access log; a form sent back shows its errors on its fields."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from privacy import services
from privacy.models import AccessLogEntry, Agreement, Goal
from tests.privacy.fixtures import strong_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(world):
    goal = services.add_goal(world.room, by=world.coordinator, title="Rust in de financiën",
                             description="Overzicht van de schulden")  # fmt: skip
    agreement = services.add_agreement(
        world.room, by=world.coordinator, description="Budgetplan opstellen",
        due_date=timezone.localdate() + timedelta(days=14), owner=world.member, goal=goal,
    )  # fmt: skip
    return goal, agreement


def _url(name, world, kind, item):
    return reverse(f"privacy:{name}", args=[world.room.pk, kind, item.pk])


def _last_entry(world) -> AccessLogEntry:
    return AccessLogEntry.objects.filter(room_id_ref=world.room.pk).order_by("-pk").first()


def test_a_member_edits_a_goal_and_the_log_says_so(world, plan):
    goal, _agreement = plan
    client = strong_client(world.member)
    page = client.get(_url("plan_edit", world, "goal", goal))
    assert page.status_code == HTTPStatus.OK
    assert 'value="Rust in de financiën"' in page.content.decode()
    read = _last_entry(world)
    assert (read.action, read.object_type, read.object_id) == ("read", "goal", str(goal.pk))
    response = client.post(_url("plan_edit", world, "goal", goal),
                           {"title": "Grip op geld", "description": ""})  # fmt: skip
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].endswith(f"/plan/#goal-{goal.pk}")
    goal.refresh_from_db()
    assert (goal.title, goal.description) == ("Grip op geld", "")
    entry = _last_entry(world)
    assert (entry.action, entry.object_type, entry.object_id, entry.detail) == (
        "update", "goal", str(goal.pk), "edited")  # fmt: skip
    assert entry.user_id_ref == world.member.pk and entry.outcome == "success"


def test_a_member_edits_an_agreement(world, plan):
    _goal, agreement = plan
    due = timezone.localdate() + timedelta(days=30)
    response = strong_client(world.member).post(
        _url("plan_edit", world, "agreement", agreement),
        {"description": "Budgetplan met de bewindvoerder", "owner": world.coordinator.pk,
         "due_date": due.isoformat(), "goal": ""},
    )  # fmt: skip
    assert response.status_code == HTTPStatus.FOUND
    agreement.refresh_from_db()
    assert agreement.description == "Budgetplan met de bewindvoerder"
    assert (agreement.owner, agreement.due_date, agreement.goal) == (world.coordinator, due, None)
    entry = _last_entry(world)
    assert (entry.action, entry.object_type, entry.detail) == ("update", "agreement", "edited")


def test_the_edit_form_shows_its_errors_on_the_fields(world, plan):
    goal, agreement = plan
    client = strong_client(world.member)
    response = client.post(_url("plan_edit", world, "goal", goal), {"title": "  "})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].has_error("title", "required")
    assert 'aria-invalid="true"' in response.content.decode()
    response = client.post(
        _url("plan_edit", world, "agreement", agreement),
        {"description": "Budgetplan", "owner": world.outsider.pk, "due_date": "morgen"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    form = response.context["form"]
    assert form.has_error("owner", "invalid_choice") and form.has_error("due_date", "invalid")
    goal.refresh_from_db()
    agreement.refresh_from_db()
    assert (goal.title, agreement.owner) == ("Rust in de financiën", world.member)
    # the form shown again shows the plan (its goals to choose from): that is a read, logged
    entry = _last_entry(world)
    assert (entry.action, entry.object_type, entry.object_id, entry.detail) == (
        "read", "agreement", str(agreement.pk), "edit form"
    )  # fmt: skip
    assert entry.user_id_ref == world.member.pk


def test_an_owner_who_left_the_room_stays_until_someone_changes_it(world, plan):
    _goal, agreement = plan
    services.remove_member(world.room, by=world.coordinator, user=world.member)
    client = strong_client(world.coordinator)
    page = client.get(_url("plan_edit", world, "agreement", agreement)).content.decode()
    assert "Mirjam Welzijn" in page  # still the owner, so still a choice
    response = client.post(
        _url("plan_edit", world, "agreement", agreement),
        {"description": "Budgetplan, later", "owner": world.member.pk,
         "due_date": agreement.due_date.isoformat(), "goal": agreement.goal_id},
    )  # fmt: skip
    assert response.status_code == HTTPStatus.FOUND
    agreement.refresh_from_db()
    assert (agreement.description, agreement.owner) == ("Budgetplan, later", world.member)


def test_removing_a_goal_asks_first_and_keeps_its_agreements(world, plan):
    goal, agreement = plan
    client = strong_client(world.member)
    page = client.get(_url("plan_remove", world, "goal", goal))
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert "data-consequences" in html and "Rust in de financiën" in html
    assert Goal.objects.filter(pk=goal.pk).exists()  # nothing yet
    response = client.post(_url("plan_remove", world, "goal", goal))
    assert response.status_code == HTTPStatus.FOUND
    assert not Goal.objects.filter(pk=goal.pk).exists()
    agreement.refresh_from_db()
    assert agreement.goal is None  # under "other agreements" now
    entries = list(AccessLogEntry.objects.filter(room_id_ref=world.room.pk).order_by("-pk")[:2])
    assert [(e.action, e.object_type, e.detail) for e in entries] == [
        ("delete", "goal", "removed"), ("update", "agreement", f"goal {goal.pk} removed"),
    ]  # fmt: skip
    assert entries[0].object_id == str(goal.pk)


def test_removing_an_agreement(world, plan):
    _goal, agreement = plan
    response = strong_client(world.coordinator).post(
        _url("plan_remove", world, "agreement", agreement)
    )
    assert response.status_code == HTTPStatus.FOUND
    assert not Agreement.objects.filter(pk=agreement.pk).exists()
    entry = _last_entry(world)
    assert (entry.action, entry.object_type, entry.object_id) == (
        "delete", "agreement", str(agreement.pk))  # fmt: skip


def test_a_room_that_takes_no_content_keeps_its_plan_as_it_is(world, plan):
    goal, agreement = plan
    services.close_room(world.room, by=world.coordinator)
    client = strong_client(world.coordinator)
    for name in ("plan_edit", "plan_remove"):
        response = client.post(_url(name, world, "goal", goal), {"title": "Anders"})
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == reverse("privacy:plan", args=[world.room.pk])
    goal.refresh_from_db()
    assert goal.title == "Rust in de financiën"
    assert Agreement.objects.filter(pk=agreement.pk).exists()
    plan_page = client.get(reverse("privacy:plan", args=[world.room.pk])).content.decode()
    assert "/edit/" not in plan_page and "/remove/" not in plan_page


def test_an_item_of_another_room_is_a_404(world, plan):
    goal, _agreement = plan
    other = services.create_room(by=world.member, pseudonym="Mevrouw B., Heerlen Noord",
                                 purpose="Eenzaamheid", legal_ground="consent")  # fmt: skip
    client = strong_client(world.member)
    for name in ("plan_edit", "plan_remove"):
        url = reverse(f"privacy:{name}", args=[other.pk, "goal", goal.pk])
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND
        assert client.post(url, {"title": "Anders"}).status_code == HTTPStatus.NOT_FOUND
        unknown = reverse(f"privacy:{name}", args=[world.room.pk, "health", goal.pk])
        assert client.get(unknown).status_code == HTTPStatus.NOT_FOUND
    goal.refresh_from_db()
    assert goal.title == "Rust in de financiën"


def test_the_plan_page_offers_edit_and_remove_for_each_item(world, plan):
    goal, agreement = plan
    html = strong_client(world.member).get(reverse("privacy:plan", args=[world.room.pk]))
    html = html.content.decode()
    for kind, item in (("goal", goal), ("agreement", agreement)):
        assert _url("plan_edit", world, kind, item) in html
        assert _url("plan_remove", world, kind, item) in html
    assert f'id="agreement-{agreement.pk}"' in html


def test_adding_shows_a_refused_owner_on_its_field(world, plan):
    response = strong_client(world.member).post(
        reverse("privacy:plan", args=[world.room.pk]),
        {"form": "agreement", "description": "Bellen", "owner": world.outsider.pk,
         "due_date": timezone.localdate().isoformat()},
    )  # fmt: skip
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["agreement_form"].has_error("owner", "invalid_choice")


def test_a_removal_the_room_no_longer_takes_is_refused_with_a_reason(world, plan, monkeypatch):
    """The room stopped taking changes between the page's check and the change itself (the
    coordinator recorded a withdrawal meanwhile): the person is told, nothing is removed."""
    from privacy import views

    goal, _agreement = plan
    client = strong_client(world.coordinator)
    services.withdraw_consent(world.room, by=world.coordinator)
    monkeypatch.setattr(views, "_plan_closed", lambda request, rights: None)  # checked before
    response = client.post(_url("plan_remove", world, "goal", goal), follow=True)
    assert response.status_code == HTTPStatus.OK
    assert "neemt geen nieuwe inhoud" in response.content.decode()
    assert Goal.objects.filter(pk=goal.pk).exists()
