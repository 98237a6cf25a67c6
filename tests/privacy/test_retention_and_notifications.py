"""Retention purge, quiet notifications, pseudonym checks, the radar chart and query counts."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from channels.layers import get_channel_layer
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from privacy import services
from privacy.models import (
    AccessLogEntry,
    Agreement,
    CaseFile,
    CaseMember,
    CaseMessage,
    CaseRoom,
    Goal,
    HealthRecord,
)
from privacy.validators import validate_pseudonym
from tests.privacy.fixtures import professional, strong_client, with_mfa

pytestmark = pytest.mark.django_db

SCORES = {"body": 7, "mental": 4, "meaning": 6, "quality": 5, "participation": 3, "daily": 8}


def _fill(world, tmp_path) -> None:
    pdf = SimpleUploadedFile("brief.pdf", b"%PDF-1.4\n%x\n")
    services.post_message(world.room.pk, author=world.member, body="Vertrouwelijk", uploads=[pdf])
    goal = services.add_goal(world.room, by=world.coordinator, title="Grip op geld")
    services.add_agreement(world.room, by=world.member, description="Budgetplan",
                           due_date=timezone.localdate(), goal=goal)  # fmt: skip
    services.add_health_record(world.room, by=world.member, conversation_on=timezone.localdate(),
                               scores=SCORES, talk=["mental"])  # fmt: skip


def test_purge_removes_the_content_of_expired_rooms_and_keeps_the_log(
    world, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    _fill(world, tmp_path)
    stored = CaseFile.objects.get().file.path
    services.close_room(world.room, by=world.coordinator)
    log_before = AccessLogEntry.objects.filter(room_id_ref=world.room.pk).count()

    out = StringIO()
    call_command("purge_case_rooms", "--dry-run", stdout=out)
    assert "0 case rooms would be purged" in out.getvalue()  # retention not over yet

    CaseRoom.objects.filter(pk=world.room.pk).update(
        content_stopped_at=timezone.now() - timedelta(days=world.room.retention_days + 1)
    )
    out = StringIO()
    call_command("purge_case_rooms", "--dry-run", stdout=out)
    assert f"Would purge case room #{world.room.pk}" in out.getvalue()
    assert CaseMessage.objects.filter(room=world.room).exists()

    with django_capture_on_commit_callbacks(execute=True):  # files go once the purge commits
        call_command("purge_case_rooms", stdout=StringIO())
    for model in (CaseMessage, CaseFile, Goal, Agreement, HealthRecord):
        assert not model.objects.filter(room=world.room).exists(), model
    import os

    assert not os.path.exists(stored)
    room = CaseRoom.objects.get(pk=world.room.pk)
    assert room.purged_at is not None and room.pseudonym == "—"
    assert AccessLogEntry.objects.filter(room_id_ref=room.pk).count() == log_before + 1
    call_command("verify_access_log", stdout=StringIO())


def test_an_open_room_is_never_purged(world):
    CaseRoom.objects.filter(pk=world.room.pk).update(
        created_at=timezone.now() - timedelta(days=9999)
    )
    assert services.rooms_past_retention() == []


def test_withdrawn_consent_starts_the_retention_clock_and_stops_content(world):
    services.withdraw_consent(world.room, by=world.coordinator)
    world.room.refresh_from_db()
    assert world.room.content_stopped_at is not None
    with pytest.raises(ValidationError):
        services.post_message(world.room.pk, author=world.coordinator, body="Nog iets")
    with pytest.raises(ValidationError):
        services.add_goal(world.room, by=world.coordinator, title="Later")
    response = strong_client(world.coordinator).post(
        reverse("privacy:post", args=[world.room.pk]), {"body": "Via formulier"}
    )
    assert response.status_code == 302
    # the member's place ended with the withdrawal: the room is no longer there for them
    response = strong_client(world.member).post(
        reverse("privacy:post", args=[world.room.pk]), {"body": "Via formulier"}
    )
    assert response.status_code == 404
    assert not CaseMessage.objects.filter(room=world.room).exists()


def test_invitations_are_refused_outside_the_consent_with_a_reason(world):
    translation.activate("en")
    with pytest.raises(ValidationError) as refusal:
        services.invite(world.room, by=world.coordinator, user=world.uncovered)
    assert "does not work for an organisation the consent covers" in refusal.value.messages[0]
    assert "Welzijn Samen Hoensbroek" in refusal.value.messages[0]
    with pytest.raises(ValidationError, match="not a verified professional"):
        services.invite(world.room, by=world.coordinator, user=world.unverified)
    translation.deactivate()
    client = strong_client(world.coordinator)
    response = client.post(reverse("privacy:members", args=[world.room.pk]),
                           {"user": world.uncovered.pk})  # fmt: skip
    assert response.status_code == 400
    # the picker does not offer them: the field says so (tests/privacy/test_invitation_picker.py)
    assert response.context["invite_form"].has_error("user", "invalid_choice")
    assert not CaseMember.objects.filter(room=world.room, user=world.uncovered).exists()


def test_without_consent_only_the_creator_is_in(world):
    room = services.create_room(by=world.coordinator, pseudonym="Mevrouw B., Heerlen Noord",
                                purpose="Eenzaamheid", legal_ground="consent")  # fmt: skip
    with translation.override("en"), pytest.raises(ValidationError, match="consent first"):
        services.invite(room, by=world.coordinator, user=world.member)


def test_notifications_and_emails_carry_no_content_or_pseudonym(world, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sent_frames = []
    layer = get_channel_layer()
    original = layer.group_send

    async def spy(group, event):
        sent_frames.append((group, event))
        await original(group, event)

    monkeypatch.setattr(layer, "group_send", spy)
    newcomer = with_mfa(professional("Nina Nieuw", world.practice))
    with_mail = professional("Tom Mail", world.welfare)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.invite(world.room, by=world.coordinator, user=newcomer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.invite(world.room, by=world.coordinator, user=with_mail)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.respond(world.room, user=newcomer, accept=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.post_message(
            world.room.pk, author=newcomer, body="Schuld bij de energieleverancier"
        )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.remove_member(world.room, by=world.coordinator, user=with_mail)
    assert len(mail.outbox) == 2
    secrets = [
        world.room.pseudonym,
        "Gezin K",
        "Schuld bij de energieleverancier",
        world.room.purpose,
    ]
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        for secret in secrets:
            assert secret not in text
        assert "/cases/" in message.body
    notifications = [event["text"] for group, event in sent_frames if group.startswith("user.")]
    assert notifications
    for text in notifications:
        for secret in secrets:
            assert secret not in text


@pytest.mark.parametrize(
    "pseudonym",
    ["Jan Jansen", "Gezin Jansen 123456782", "Mw. Pieterse, 6432 AB", "Kind, 12-03-2015",
     "Piet de Vries, Hoensbroek", "j.jansen@example.nl"],
)  # fmt: skip
def test_identifying_pseudonyms_are_refused(db, pseudonym):
    with pytest.raises(ValidationError):
        validate_pseudonym(pseudonym)


@pytest.mark.parametrize(
    "pseudonym", ["Gezin K., Hoensbroek", "Mevrouw B., Heerlen Noord", "Jongere T. (16)", "Fam. R."]
)
def test_ordinary_pseudonyms_pass(db, hoensbroek, heerlen_noord, pseudonym):
    validate_pseudonym(pseudonym)


def test_the_radar_chart_is_svg_with_a_table(world):
    services.add_health_record(world.room, by=world.member,
                               conversation_on=timezone.localdate() - timedelta(days=60),
                               scores={k: 5 for k in SCORES})  # fmt: skip
    services.add_health_record(world.room, by=world.member, conversation_on=timezone.localdate(),
                               scores=SCORES, talk=["mental", "participation"])  # fmt: skip
    response = strong_client(world.member).get(reverse("privacy:health", args=[world.room.pk]))
    html = response.content.decode()
    assert "<svg" in html and 'role="img"' in html
    # coordinates are plain numbers whatever the language (no decimal commas)
    import re

    assert re.search(r'<circle[^>]* cx="\d+(\.\d+)?" cy="\d+(\.\d+)?"', html)
    assert not re.search(r'(?:x|y|x2|y2|cx|cy)="\d+,\d', html)
    assert html.count("wijk-radar__point--talk") == 2
    assert "wijk-radar__shape--earlier" in html
    assert "Mentaal welbevinden" in html or "Mental well-being" in html
    assert "<table" in html


def test_a_health_score_above_ten_is_refused(world):
    response = strong_client(world.member).post(
        reverse("privacy:health", args=[world.room.pk]),
        {"conversation_on": "2026-11-01", **SCORES, "body": 11},
    )
    assert response.status_code == 400
    assert not HealthRecord.objects.exists()


def test_pages_with_lists_use_a_constant_number_of_queries(world, django_assert_max_num_queries):
    for n in range(12):
        services.post_message(world.room.pk, author=world.member, body=f"Bericht {n}")
    goal = services.add_goal(world.room, by=world.coordinator, title="Doel")
    for n in range(6):
        services.add_agreement(
            world.room, by=world.coordinator, description=f"Afspraak {n}",
            due_date=timezone.localdate(), owner=world.member, goal=goal,
        )  # fmt: skip
        services.add_health_record(world.room, by=world.member,
                                   conversation_on=timezone.localdate(), scores=SCORES)  # fmt: skip
    member = strong_client(world.member)
    coordinator = strong_client(world.coordinator)
    officer = strong_client(world.privacy_officer)
    pk = world.room.pk
    for client, url in [
        (member, reverse("privacy:room", args=[pk])),
        (member, reverse("privacy:plan", args=[pk])),
        (member, reverse("privacy:health", args=[pk])),
        (member, reverse("privacy:members", args=[pk])),
        (member, reverse("privacy:consent", args=[pk])),
        (member, reverse("privacy:index")),
        (coordinator, reverse("privacy:log", args=[pk])),
        (coordinator, reverse("privacy:report", args=[pk])),
        (officer, reverse("privacy:all_logs")),
    ]:
        with django_assert_max_num_queries(30):
            assert client.get(url).status_code == 200, url


def test_an_erasure_request_purges_one_closed_room_early(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    _fill(world, tmp_path)
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="close it first"):
        call_command("purge_case_rooms", "--room", str(world.room.pk), stdout=StringIO())
    services.close_room(world.room, by=world.coordinator)
    call_command("purge_case_rooms", "--room", str(world.room.pk), stdout=StringIO())
    assert not CaseMessage.objects.filter(room=world.room).exists()
    assert AccessLogEntry.objects.filter(room_id_ref=world.room.pk, detail__contains="purged")


def test_case_pages_have_no_inline_script_or_style(world):
    import re

    services.add_health_record(world.room, by=world.member, conversation_on=timezone.localdate(),
                               scores=SCORES)  # fmt: skip
    client = strong_client(world.coordinator)
    for name in ("room", "members", "consent", "plan", "health", "search", "settings", "log",
                 "report"):  # fmt: skip
        html = client.get(reverse(f"privacy:{name}", args=[world.room.pk])).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), name
        assert " style=" not in html, name
        assert not re.search(r"\son[a-z]+=", html), name


def test_scores_over_time_are_drawn_as_lines(world):
    for days_ago, score in ((90, 3), (45, 5), (0, 7)):
        services.add_health_record(world.room, by=world.member,
                                   conversation_on=timezone.localdate() - timedelta(days=days_ago),
                                   scores={k: score for k in SCORES})  # fmt: skip
    html = strong_client(world.member).get(reverse("privacy:health", args=[world.room.pk]))
    html = html.content.decode()
    assert html.count('class="wijk-trend__line') == 6
    # end labels never overlap, even when all six scores are equal
    import itertools
    import re

    ys = sorted(
        float(y) for y in re.findall(r'wijk-trend__label--\d" x="[\d.]+" y="([\d.]+)"', html)
    )
    assert len(ys) == 6 and all(b - a >= 13.9 for a, b in itertools.pairwise(ys))
