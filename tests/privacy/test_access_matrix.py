"""Every case-room URL for every kind of visitor: each gets exactly what the privacy model allows.

anonymous → sign-in; unverified → the verification explanation (403); verified outsiders,
uncovered professionals and platform administrators → 404; a member without MFA → MFA
enrolment; members → content; coordinator → also management and the log; privacy officer →
logs only.

The last four are members whose right was taken away: removed from the room → 404 like an
outsider; deactivated → sign-in like anonymous; no longer verified (their organisation removed
them) → 403 like the unverified; password changed after their last second-factor step → asked
for their second factor again, and nothing else.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from directory import services as directory_services
from directory.models import Membership
from privacy import services
from privacy.models import AccessLogEntry, Agreement, CaseMember, Goal
from tests.factories import UserFactory
from tests.privacy.fixtures import CaseRoomWorld, build_world, professional, strong_client, with_mfa

pytestmark = pytest.mark.django_db

OK, FOUND, FORBIDDEN, MISSING = (
    HTTPStatus.OK,
    HTTPStatus.FOUND,
    HTTPStatus.FORBIDDEN,
    HTTPStatus.NOT_FOUND,
)

PERSONAS = [
    "anonymous", "unverified", "outsider", "uncovered", "platform_admin", "member_without_mfa",
    "member", "coordinator", "privacy_officer",
    "removed_member", "deactivated_member", "unverified_member", "credentials_changed",
]  # fmt: skip

# page -> who gets 200 (everyone else as per their kind)
CONTENT_PAGES = ["room", "members", "consent", "plan", "health", "search"]
COORDINATOR_PAGES = ["settings"]
LOG_PAGES = ["log", "report", "report_csv"]


@pytest.fixture
def world(db) -> CaseRoomWorld:
    """The case-room world plus four members whose right was taken away after they joined."""
    world = build_world()
    names = ("removed_member", "deactivated_member", "unverified_member", "credentials_changed")
    revoked = {
        name: with_mfa(professional(name.replace("_", " ").title(), world.welfare))
        for name in names
    }
    for name, user in revoked.items():
        services.invite(world.room, by=world.coordinator, user=user)
        services.respond(world.room, user=user, accept=True)
        setattr(world, name, user)
    services.remove_member(world.room, by=world.coordinator, user=revoked["removed_member"])
    revoked["deactivated_member"].is_active = False
    revoked["deactivated_member"].save()
    directory_services.remove_membership(
        Membership.objects.get(professional__user=revoked["unverified_member"]),
        by=UserFactory(roles=["platform_admin", "professional"]),
    )
    revoked["credentials_changed"].set_password("Een-nieuw-wachtwoord-7")
    revoked["credentials_changed"].save()
    return world


def _user(world: CaseRoomWorld, persona: str):
    return None if persona == "anonymous" else getattr(world, persona)


def _client(world: CaseRoomWorld, persona: str):
    """Signed in with the second factor: now, or for ``credentials_changed`` a minute before
    the password changed."""
    return strong_client(
        _user(world, persona), seconds_ago=60 if persona == "credentials_changed" else 0
    )


def _expected(persona: str, page_kind: str) -> int:
    if persona in {"anonymous", "deactivated_member"}:
        return FOUND  # to sign in
    if persona in {"unverified", "unverified_member"}:
        return FORBIDDEN  # the "awaiting verification" explanation
    if persona in {"member_without_mfa", "credentials_changed"}:
        return FOUND if page_kind == "content" else MISSING  # to the second factor
    allowed = {
        "content": {"member", "coordinator"},
        "coordinator": {"coordinator"},
        "log": {"coordinator", "privacy_officer"},
    }[page_kind]
    return OK if persona in allowed else MISSING


MATRIX = [
    (persona, page, kind)
    for kind, pages in (
        ("content", CONTENT_PAGES),
        ("coordinator", COORDINATOR_PAGES),
        ("log", LOG_PAGES),
    )
    for page in pages
    for persona in PERSONAS
]


@pytest.mark.parametrize(("persona", "page", "kind"), MATRIX)
def test_it_serves_each_page_to_exactly_who_may_see_it(world, persona, page, kind):
    client = _client(world, persona)
    response = client.get(reverse(f"privacy:{page}", args=[world.room.pk]))
    expected = _expected(persona, kind)
    assert response.status_code == expected, (persona, page)
    if persona in {"anonymous", "deactivated_member"}:
        assert response["Location"].startswith(reverse("account_login"))
    if persona == "member_without_mfa" and expected == FOUND:
        assert response["Location"].startswith(reverse("mfa_activate_totp"))
    if persona == "credentials_changed" and expected == FOUND:
        assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    if expected == MISSING or persona == "privacy_officer":
        assert world.room.pseudonym.encode() not in response.content


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_shows_a_file_only_to_members(world, persona, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = SimpleUploadedFile("verslag.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    message, _created = services.post_message(
        world.room.pk, author=world.coordinator, body="Verslag huisbezoek", uploads=[pdf]
    )
    item = message.files.get()
    response = _client(world, persona).get(reverse("privacy:file", args=[world.room.pk, item.pk]))
    assert response.status_code == _expected(persona, "content")
    if response.status_code == OK:
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_members_post_messages(world, persona):
    client = _client(world, persona)
    response = client.post(reverse("privacy:post", args=[world.room.pk]), {"body": "Hallo"})
    expected = _expected(persona, "content")
    assert response.status_code == (FOUND if expected == OK else expected)
    stored = world.room.messages.filter(body="Hallo").exists()
    assert stored == (persona in {"member", "coordinator"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_coordinator_manages_the_room(world, persona):
    client = _client(world, persona)
    pk = world.room.pk
    response = client.post(reverse("privacy:remove_member", args=[pk, world.member_without_mfa.pk]))
    allowed = persona == "coordinator"
    expected = FOUND if allowed else _expected(persona, "coordinator")
    if persona == "member_without_mfa":
        expected = MISSING
    assert response.status_code == expected
    removed = CaseMember.objects.get(room=world.room, user=world.member_without_mfa).status
    assert (removed == CaseMember.Status.REMOVED) == allowed
    invite = client.post(reverse("privacy:members", args=[pk]), {"user": world.outsider.pk})
    if not allowed:
        assert invite.status_code in {FOUND, FORBIDDEN, MISSING}
        assert not CaseMember.objects.filter(room=world.room, user=world.outsider).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_coordinator_withdraws_consent_or_closes(world, persona):
    client = _client(world, persona)
    for name in ("withdraw_consent", "close"):
        response = client.post(reverse(f"privacy:{name}", args=[world.room.pk]))
        if persona == "coordinator":
            assert response.status_code == FOUND
        else:
            assert response.status_code in {FOUND, FORBIDDEN, MISSING}
            world.room.refresh_from_db()
            assert world.room.status == "open"


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_members_change_the_plan(world, persona):
    goal = services.add_goal(world.room, by=world.coordinator, title="Rust in de financiën")
    client = _client(world, persona)
    client.post(reverse("privacy:plan_status", args=[world.room.pk, "goal", goal.pk]),
                {"status": "done"})  # fmt: skip
    client.post(reverse("privacy:plan", args=[world.room.pk]),
                {"form": "goal", "title": "Nieuw doel"})  # fmt: skip
    goal.refresh_from_db()
    member = persona in {"member", "coordinator"}
    assert (goal.status == "done") == member
    assert Goal.objects.filter(title="Nieuw doel").exists() == member
    assert not Agreement.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("kind", ["goal", "agreement"])
def test_only_members_edit_and_remove_plan_items(world, persona, kind):
    goal = services.add_goal(world.room, by=world.coordinator, title="Rust in de financiën")
    item = goal if kind == "goal" else services.add_agreement(
        world.room, by=world.coordinator, description="Budgetplan",
        due_date=goal.created_at.date(), goal=goal,
    )  # fmt: skip
    client = _client(world, persona)
    expected = _expected(persona, "content")
    edit = reverse("privacy:plan_edit", args=[world.room.pk, kind, item.pk])
    remove = reverse("privacy:plan_remove", args=[world.room.pk, kind, item.pk])
    for url in (edit, remove):
        response = client.get(url)
        assert response.status_code == expected, (persona, url)
        if expected == MISSING:
            assert world.room.pseudonym.encode() not in response.content
    changes = {"title": "Ander doel"} if kind == "goal" else {
        "description": "Ander plan", "due_date": goal.created_at.date().isoformat()}  # fmt: skip
    response = client.post(edit, changes)
    assert response.status_code == (FOUND if expected == OK else expected)
    item.refresh_from_db()
    changed = (item.title if kind == "goal" else item.description).startswith("Ander")
    assert changed == (persona in {"member", "coordinator"})
    response = client.post(remove)
    assert response.status_code == (FOUND if expected == OK else expected)
    model = type(item)
    assert model.objects.filter(pk=item.pk).exists() == (persona not in {"member", "coordinator"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_all_logs_are_for_the_privacy_officer(world, persona):
    response = _client(world, persona).get(reverse("privacy:all_logs"))
    if persona in {"anonymous", "deactivated_member"}:
        assert response.status_code == FOUND
    elif persona == "privacy_officer":
        assert response.status_code == OK
        assert world.room.pseudonym.encode() not in response.content
    else:
        assert response.status_code == MISSING


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_invitation_page_is_only_for_the_invitee(world, persona):
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    response = _client(world, persona).get(reverse("privacy:join", args=[world.room.pk]))
    if persona in {"member", "coordinator"}:
        assert response.status_code == FOUND  # straight into the room
    elif persona == "outsider":
        assert response.status_code == OK  # invited now
    else:
        assert response.status_code == _expected(persona, "content")


def test_the_invitee_sees_the_invitation_and_joins(world):
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    client = strong_client(world.outsider)
    assert client.get(reverse("privacy:room", args=[world.room.pk])).status_code == FOUND
    assert client.get(reverse("privacy:join", args=[world.room.pk])).status_code == OK
    response = client.post(reverse("privacy:join", args=[world.room.pk]), {"decision": "accept"})
    assert response.status_code == FOUND
    assert client.get(reverse("privacy:room", args=[world.room.pk])).status_code == OK


def test_a_sign_in_older_than_the_period_asks_to_reauthenticate(world, settings):
    settings.CASE_REAUTHENTICATION_SECONDS = 12 * 3600
    client = strong_client(world.member, seconds_ago=13 * 3600)
    response = client.get(reverse("privacy:room", args=[world.room.pk]))
    assert response.status_code == FOUND
    # the step-up asks for the authenticator code: a password alone is not enough
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    fresh = strong_client(world.member, seconds_ago=11 * 3600)
    assert fresh.get(reverse("privacy:room", args=[world.room.pk])).status_code == OK


def test_a_missing_room_is_a_404_like_a_private_one(world):
    client = strong_client(world.outsider)
    missing = client.get(reverse("privacy:room", args=[world.room.pk + 1000]))
    private = client.get(reverse("privacy:room", args=[world.room.pk]))
    assert missing.status_code == private.status_code == MISSING


def test_refused_attempts_on_a_real_room_are_logged(world):
    strong_client(world.platform_admin).get(reverse("privacy:room", args=[world.room.pk]))
    entry = AccessLogEntry.objects.order_by("-pk").first()
    assert entry.outcome == "denied"
    assert entry.user_id_ref == world.platform_admin.pk
    assert entry.room_id_ref == world.room.pk


def test_the_index_explains_what_is_needed_before_listing_rooms(world):
    from django.test import Client

    plain = Client()
    plain.force_login(world.member_without_mfa)
    response = plain.get(reverse("privacy:index"))
    assert response.status_code == OK
    assert reverse("mfa_activate_totp").encode() in response.content
    assert world.room.pseudonym.encode() not in response.content
    stale = strong_client(world.member, seconds_ago=13 * 3600)
    response = stale.get(reverse("privacy:index"))
    assert reverse("mfa_reauthenticate").encode() in response.content
    assert world.room.pseudonym.encode() not in response.content
    fresh = strong_client(world.member).get(reverse("privacy:index"))
    assert world.room.pseudonym.encode() in fresh.content


CREATE_EXPECTED = {
    "anonymous": FOUND,  # to sign in
    "unverified": FORBIDDEN,
    "member_without_mfa": FOUND,  # to MFA enrolment
    "privacy_officer": FORBIDDEN,  # not a professional: sees logs, never content
    "deactivated_member": FOUND,  # to sign in
    "unverified_member": FORBIDDEN,
    "credentials_changed": FOUND,  # to the second factor
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_opening_a_room_needs_a_verified_professional_with_mfa(world, persona):
    """Anyone verified with MFA and a recent sign-in may open a room (and coordinate it)."""
    client = _client(world, persona)
    response = client.get(reverse("privacy:create"))
    assert response.status_code == CREATE_EXPECTED.get(persona, OK)
    rooms = CaseMember.objects.count()
    response = client.post(reverse("privacy:create"), {})
    assert response.status_code == CREATE_EXPECTED.get(persona, HTTPStatus.BAD_REQUEST)
    assert CaseMember.objects.count() == rooms


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_privacy_officer_starts_a_log_verification(world, persona):
    from privacy.models import AccessLogVerification

    client = _client(world, persona)
    url = reverse("privacy:verify_log")
    response = client.post(url)
    if persona in {"anonymous", "deactivated_member"}:
        assert response.status_code == FOUND
        assert response["Location"].startswith(reverse("account_login"))
    elif persona == "privacy_officer":
        assert response.status_code == FOUND
        assert response["Location"] == reverse("privacy:all_logs")
    else:
        assert response.status_code == MISSING
    started = AccessLogVerification.objects.exists()
    assert started == (persona == "privacy_officer")
    if persona not in {"anonymous", "deactivated_member"}:
        assert client.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED
