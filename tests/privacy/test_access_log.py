"""The NEN 7513 access log: an entry per kind of access, an append-only table.

The keyed chain, the checkpoints and what verification finds: ``test_access_log_integrity``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from privacy import audit, services
from privacy.models import AccessLogEntry
from tests.privacy.fixtures import strong_client

pytestmark = pytest.mark.django_db

NEN_7513_FIELDS = [
    "event_id", "action", "occurred_at", "outcome", "user_id_ref", "user_name", "role",
    "acted_for_name", "purpose", "ip_address", "object_type", "object_id",
]  # fmt: skip


def _last(**filters) -> AccessLogEntry:
    entry = AccessLogEntry.objects.filter(**filters).order_by("-pk").first()
    assert entry is not None, filters
    return entry


def _complete(entry: AccessLogEntry) -> None:
    for field in NEN_7513_FIELDS:
        assert getattr(entry, field) not in (None, ""), field


def test_creating_a_room_and_recording_consent_are_logged(world):
    room_entry = _last(object_type="case_room", action="create")
    assert room_entry.user_id_ref == world.coordinator.pk and room_entry.role == "coordinator"
    assert _last(object_type="consent", action="create").room_id_ref == world.room.pk
    assert _last(object_type="case_member", detail="invited").object_id == str(
        world.member_without_mfa.pk
    )


@pytest.mark.parametrize(
    ("page", "object_type"),
    [("room", "case_message"), ("members", "case_member"), ("consent", "consent"),
     ("plan", "plan"), ("health", "health_record")],
)  # fmt: skip
def test_every_read_is_logged_with_the_nen_7513_fields(world, page, object_type):
    client = strong_client(world.member)
    client.get(reverse(f"privacy:{page}", args=[world.room.pk]), REMOTE_ADDR="192.0.2.7")
    entry = _last(object_type=object_type, action="read", user_id_ref=world.member.pk)
    _complete(entry)
    assert entry.ip_address == "192.0.2.7"
    assert entry.role == "member" and entry.purpose == audit.Purpose.CARE
    assert entry.acted_for_name == world.member.display_name
    assert entry.room_id_ref == world.room.pk


def test_creating_updating_and_deleting_content_are_logged(world):
    client = strong_client(world.member)
    pk = world.room.pk
    client.post(reverse("privacy:post", args=[pk]), {"body": "Afspraak gemaakt"})
    assert _last(object_type="case_message", action="create").user_id_ref == world.member.pk
    client.post(reverse("privacy:plan", args=[pk]), {"form": "goal", "title": "Weer werken"})
    goal_entry = _last(object_type="goal", action="create")
    client.post(reverse("privacy:plan_status", args=[pk, "goal", goal_entry.object_id]),
                {"status": "in_progress"})  # fmt: skip
    assert _last(object_type="goal", action="update").detail == "status in_progress"
    client.post(
        reverse("privacy:plan", args=[pk]),
        {"form": "agreement", "description": "Belt de schuldhulp", "due_date": "2030-01-31",
         "owner": world.member.pk},
    )  # fmt: skip
    _last(object_type="agreement", action="create")
    scores = {key: 6 for key in ("body", "mental", "meaning", "quality", "participation", "daily")}
    client.post(reverse("privacy:health", args=[pk]),
                {"conversation_on": "2026-11-01", **scores, "mental_talk": "on"})  # fmt: skip
    _last(object_type="health_record", action="create")
    coordinator = strong_client(world.coordinator)
    coordinator.post(reverse("privacy:remove_member", args=[pk, world.member_without_mfa.pk]))
    assert _last(object_type="case_member", action="delete").object_id == str(
        world.member_without_mfa.pk
    )
    coordinator.post(reverse("privacy:withdraw_consent", args=[pk]))
    assert _last(object_type="consent", action="update").detail == "withdrawn"


def test_search_and_exports_are_logged_without_the_query(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    pdf = SimpleUploadedFile("brief.pdf", b"%PDF-1.4\n%x\n")
    message, _ = services.post_message(world.room.pk, author=world.member, body="Brief van de "
                                       "woningcorporatie", uploads=[pdf])  # fmt: skip
    client = strong_client(world.member)
    client.get(reverse("privacy:search", args=[world.room.pk]), {"q": "woningcorporatie"})
    entry = _last(action="search")
    assert entry.detail == "1 results" and "woning" not in entry.detail
    response = client.get(reverse("privacy:file", args=[world.room.pk, message.files.get().pk]))
    b"".join(response.streaming_content)
    assert _last(action="export", object_type="case_file").user_id_ref == world.member.pk
    coordinator = strong_client(world.coordinator)
    coordinator.get(reverse("privacy:report_csv", args=[world.room.pk]))
    report = _last(action="export", object_type="access_report")
    assert report.purpose == audit.Purpose.SUBJECT_ACCESS


def test_the_coordinator_filters_the_rooms_log(world):
    strong_client(world.member).get(reverse("privacy:plan", args=[world.room.pk]))
    client = strong_client(world.coordinator)
    response = client.get(
        reverse("privacy:log", args=[world.room.pk]), {"action": "read", "user": "Mirjam"}
    )
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert rows and all(r.action == "read" and "Mirjam" in r.user_name for r in rows)


def test_the_resident_report_prints_and_exports(world):
    strong_client(world.member).get(reverse("privacy:health", args=[world.room.pk]))
    client = strong_client(world.coordinator)
    page = client.get(reverse("privacy:report", args=[world.room.pk]))
    assert page.status_code == 200
    assert b"Mirjam Welzijn" in page.content
    csv = client.get(reverse("privacy:report_csv", args=[world.room.pk]))
    assert csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert "Mirjam Welzijn" in text and ";" in text.splitlines()[0]
    # the report names no content and, for a privacy officer, no pseudonym
    officer = strong_client(world.privacy_officer).get(
        reverse("privacy:report", args=[world.room.pk])
    )
    assert world.room.pseudonym.encode() not in officer.content


def _tamper(entry: AccessLogEntry, **changes) -> None:
    """Edit a row the way someone with database access would, trigger or not."""
    table = AccessLogEntry._meta.db_table
    assignments = ", ".join(f"{column} = %s" for column in changes)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER privacy_access_log_append_only")
        cursor.execute(
            f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608 - fixed column names
            [*changes.values(), entry.pk],
        )
        cursor.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER privacy_access_log_append_only")


def test_the_database_refuses_update_and_delete_of_log_rows(world):
    entry = AccessLogEntry.objects.order_by("pk").first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).update(user_name="Iemand anders")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).delete()
    table = AccessLogEntry._meta.db_table
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET detail = 'x'")  # noqa: S608
    assert AccessLogEntry.objects.filter(pk=entry.pk, user_name=entry.user_name).exists()


def test_the_database_allows_deleting_entries_past_five_years(world):
    old = audit.record(action="read", user=world.member, object_type="case_room", room_id=1)
    _tamper(old, occurred_at=timezone.now() - timedelta(days=5 * 366))
    assert AccessLogEntry.objects.filter(pk=old.pk).delete()[0] == 1


def test_the_settings_and_invitation_pages_are_logged_as_reads(world):
    strong_client(world.coordinator).get(reverse("privacy:settings", args=[world.room.pk]))
    settings_entry = _last(object_type="case_room", detail="settings page")
    assert settings_entry.role == "coordinator"
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    strong_client(world.outsider).get(reverse("privacy:join", args=[world.room.pk]))
    invitation = _last(object_type="case_room", detail="invitation page")
    assert invitation.user_id_ref == world.outsider.pk
    assert invitation.role == "invited" and invitation.purpose == audit.Purpose.CARE
