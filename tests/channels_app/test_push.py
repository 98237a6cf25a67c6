"""Push notifications, end to end: a message is posted and committed, the worker
(``manage.py db_worker``) sends what each device may get to a push service on 127.0.0.1
(tests/push_service.py), which checks the VAPID signature and decrypts the push as a browser
would. What it shows must keep to the rules: nothing of a closed channel, a direct conversation
or a case room; nothing when muted, in quiet hours, or to someone deactivated."""

from __future__ import annotations

import datetime
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from channels_app import push, services
from channels_app.models import PushLevel, PushPreferences, PushSubscription
from knowledge.models import LearningSession, Registration
from tests.factories import ProfessionalFactory, UserFactory
from tests.privacy.fixtures import build_world
from tests.push_service import Device, PushService, run_push_worker

pytestmark = pytest.mark.django_db(transaction=True)


def person(name: str):
    user = ProfessionalFactory(user=UserFactory(display_name=name)).user
    # awake around the clock unless a test says otherwise (the defaults are quiet at night and
    # at weekends: tested on their own below)
    PushPreferences.objects.create(
        user=user, quiet_from=datetime.time(0), quiet_until=datetime.time(0), quiet_weekends=False
    )
    return user


def device_of(user, service: PushService, **kwargs) -> tuple[Device, PushSubscription]:
    device = service.device()
    subscription = push.subscribe(
        user, endpoint=device.endpoint, p256dh=device.p256dh, auth=device.auth,
        user_agent="Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile", session_key="s" * 32,
    )  # fmt: skip
    PushSubscription.objects.filter(pk=subscription.pk).update(**kwargs)
    return device, subscription


@pytest.fixture
def people(push_service):
    anna, bert, carla = person("Anna Huisarts"), person("Bert Schuldhulp"), person("Carla Wijk")
    closed = services.create_channel(by=anna, kind="closed", name="Samen Heerlen Gezond")
    for user in (bert, carla):
        services.decide(services.invite(closed, by=anna, user=user), by=user, accept=True)
    open_ = services.create_channel(by=anna, kind="open", name="Geldzorgen Hoensbroek")
    services.join(open_, bert)
    services.join(open_, carla)
    return anna, bert, carla, closed, open_


def test_a_mention_in_a_closed_channel_pushes_that_and_nothing_of_it(push_service, people):
    anna, bert, carla, closed, _open = people
    phone, subscription = device_of(bert, push_service)
    laptop, _ = device_of(bert, push_service)
    carlas, _ = device_of(carla, push_service)
    message, _ = services.post_message(
        closed.pk, author=anna, body="@Bert Schuldhulp mevrouw J. belde over de huur"
    )
    run_push_worker()
    expected = {
        "title": "Wijkplatform",
        "body": "Je bent genoemd in een besloten kanaal",
        "url": f"/channels/{closed.pk}/m/{message.seq}/",
        "tag": f"channel-{closed.pk}",
    }
    assert push_service.to(phone) == [expected]
    assert push_service.to(laptop) == [expected]  # every device of the person
    assert push_service.to(carlas) == []  # not mentioned, not in a thread
    assert push_service.errors == []
    subscription.refresh_from_db()
    assert subscription.last_success_at is not None
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1


def test_an_open_channel_shows_sender_and_first_words_only_to_who_allowed_it(push_service, people):
    anna, bert, carla, _closed, open_ = people
    PushPreferences.objects.filter(user=carla).update(show_content=True)
    berts, _ = device_of(bert, push_service)
    carlas, _ = device_of(carla, push_service)
    body = "@Bert Schuldhulp @Carla Wijk " + "kunnen jullie donderdag naar de **inloop** " * 5
    message, _ = services.post_message(open_.pk, author=anna, body=body)
    run_push_worker()
    url = f"/channels/{open_.pk}/m/{message.seq}/"
    assert push_service.to(berts) == [{
        "title": "Wijkplatform", "body": "Je bent genoemd in Geldzorgen Hoensbroek",
        "url": url, "tag": f"channel-{open_.pk}",
    }]  # fmt: skip
    [shown] = push_service.to(carlas)
    assert shown["title"] == "Anna Huisarts noemde je in Geldzorgen Hoensbroek"
    assert shown["body"].startswith("@Bert Schuldhulp @Carla Wijk kunnen jullie donderdag naar")
    assert "**" not in shown["body"] and len(shown["body"]) <= push.PREVIEW_CHARACTERS


def test_a_direct_message_pushes_without_name_or_content(push_service, people):
    anna, bert, _carla, _closed, _open = people
    PushPreferences.objects.filter(user=bert).update(show_content=True)  # open channels only
    direct = services.direct_channel(by=anna, others=[bert])
    berts, _ = device_of(bert, push_service)
    annas, _ = device_of(anna, push_service)
    first, _ = services.post_message(direct.pk, author=anna, body="Heb je even tijd?")
    second, _ = services.post_message(direct.pk, author=anna, body="Het gaat om mevrouw J.")
    run_push_worker()
    assert push_service.to(berts) == [
        {"title": "Wijkplatform", "body": "Nieuw direct bericht",
         "url": f"/channels/{direct.pk}/m/{m.seq}/", "tag": f"channel-{direct.pk}"}
        for m in (first, second)
    ]  # fmt: skip
    assert push_service.to(annas) == []  # not to the sender


def test_a_reply_in_a_thread_reaches_who_is_in_it(push_service, people):
    anna, bert, carla, closed, _open = people
    berts, _ = device_of(bert, push_service)
    carlas, _ = device_of(carla, push_service)
    root, _ = services.post_message(closed.pk, author=bert, body="Wie weet raad?")
    reply, _ = services.post_message(closed.pk, author=anna, body="Ik", parent_id=root.pk)
    run_push_worker()
    assert push_service.to(berts) == [{
        "title": "Wijkplatform", "body": "Nieuwe reactie in je draad in een besloten kanaal",
        "url": f"/channels/{closed.pk}/m/{reply.seq}/", "tag": f"channel-{closed.pk}",
    }]  # fmt: skip
    assert push_service.to(carlas) == []


def test_case_room_messages_and_invitations_push_no_name_and_no_content(push_service):
    world = build_world()
    run_push_worker()  # the invitations of the world's members, before anyone had a device
    for user in (world.coordinator, world.member, world.outsider):
        PushPreferences.objects.create(
            user=user, quiet_from=datetime.time(0), quiet_until=datetime.time(0),
            quiet_weekends=False, show_content=True,
        )  # fmt: skip
    coordinator, _ = device_of(world.coordinator, push_service)
    member, _ = device_of(world.member, push_service)
    outsider, _ = device_of(world.outsider, push_service)
    from privacy import services as cases

    cases.post_message(world.room.pk, author=world.coordinator, body="Gezin K. verhuist")
    cases.invite(world.room, by=world.coordinator, user=world.outsider)
    run_push_worker()
    room = f"/cases/{world.room.pk}/"
    assert push_service.to(member) == [{
        "title": "Wijkplatform", "body": "Nieuw bericht in een casusruimte", "url": room,
        "tag": f"case_message-{room}",
    }]  # fmt: skip
    assert push_service.to(outsider) == [{
        "title": "Wijkplatform", "body": "Je bent uitgenodigd voor een casusruimte",
        "url": f"{room}join/", "tag": f"case_invitation-{room}join/",
    }]  # fmt: skip
    assert push_service.to(coordinator) == []
    everything = repr(push_service.received)
    for secret in (world.room.pseudonym, "Gezin K", "verhuist", world.coordinator.display_name):
        assert secret not in everything


def test_a_learning_session_reminder_is_pushed(push_service):
    trainer, user = person("Tara Trainer"), person("Lotte Leerling")
    phone, _ = device_of(user, push_service)
    session = LearningSession.objects.create(
        title="Schulden herkennen", created_by=trainer, capacity=10,
        starts_at=timezone.now() + timedelta(hours=3), ends_at=timezone.now() + timedelta(hours=5),
        registration_deadline=timezone.now() + timedelta(hours=2),
    )  # fmt: skip
    Registration.objects.create(session=session, user=user, status=Registration.Status.CONFIRMED)
    call_command("send_session_reminders", stdout=io.StringIO())
    run_push_worker()
    url = f"/knowledge/sessions/{session.pk}/"
    assert push_service.to(phone) == [{
        "title": "Wijkplatform", "body": "Je leersessie “Schulden herkennen” begint binnenkort.",
        "url": url, "tag": f"session_reminder-{url}",
    }]  # fmt: skip


def test_nothing_during_quiet_hours(push_service, people):
    anna, bert, _carla, closed, _open = people
    now = timezone.localtime()
    PushPreferences.objects.filter(user=bert).update(
        quiet_from=(now - timedelta(hours=1)).time(), quiet_until=(now + timedelta(hours=1)).time()
    )
    device_of(bert, push_service)
    services.post_message(closed.pk, author=anna, body="@Bert Schuldhulp morgen?")
    run_push_worker()
    assert push_service.requests == []


def test_the_default_quiet_hours_are_evenings_nights_and_weekends():
    defaults = PushPreferences()
    zone = timezone.get_current_timezone()

    def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime(2026, 12, day, hour, minute, tzinfo=zone)  # 7 Dec: a Monday

    assert not push.is_quiet(defaults, at(7, 8))
    assert not push.is_quiet(defaults, at(7, 17, 59))
    assert push.is_quiet(defaults, at(7, 18))
    assert push.is_quiet(defaults, at(8, 7, 59))
    assert push.is_quiet(defaults, at(12, 12))  # Saturday
    assert push.is_quiet(defaults, at(13, 12))  # Sunday
    # in the deployment's time zone: 12:00 UTC on a Monday is 13:00 in Heerlen
    assert not push.is_quiet(defaults, datetime.datetime(2026, 12, 7, 16, 30, tzinfo=datetime.UTC))
    assert push.is_quiet(defaults, datetime.datetime(2026, 12, 7, 17, 30, tzinfo=datetime.UTC))
    daytime = PushPreferences(quiet_from=datetime.time(9), quiet_until=datetime.time(17))
    assert push.is_quiet(daytime, at(7, 12)) and not push.is_quiet(daytime, at(7, 8))


def test_a_muted_channel_pushes_nothing_and_mentions_only_lets_mentions_through(
    push_service, people
):
    anna, bert, carla, closed, _open = people
    closed.memberships.filter(user=bert).update(push=PushLevel.NONE)
    closed.memberships.filter(user=carla).update(push=PushLevel.MENTIONS)
    berts, _ = device_of(bert, push_service)
    carlas, _ = device_of(carla, push_service)
    root, _ = services.post_message(closed.pk, author=carla, body="Wie weet raad?")
    services.post_message(closed.pk, author=anna, body="Ik, @Bert Schuldhulp", parent_id=root.pk)
    services.post_message(closed.pk, author=anna, body="en ook dit", parent_id=root.pk)
    run_push_worker()
    assert push_service.to(berts) == []
    assert push_service.to(carlas) == []  # replies in her thread, but mentions only
    services.post_message(closed.pk, author=anna, body="@Carla Wijk kijk je even?")
    run_push_worker()
    assert [p["body"] for p in push_service.to(carlas)] == [
        "Je bent genoemd in een besloten kanaal"
    ]


def test_a_device_turned_off_gets_nothing(push_service, people):
    anna, bert, _carla, closed, _open = people
    off, _ = device_of(bert, push_service, enabled=False)
    on, _ = device_of(bert, push_service)
    services.post_message(closed.pk, author=anna, body="@Bert Schuldhulp hoi")
    run_push_worker()
    assert push_service.to(off) == [] and len(push_service.to(on)) == 1


def test_a_410_from_the_push_service_deletes_the_subscription(push_service, people):
    anna, bert, _carla, closed, _open = people
    gone, subscription = device_of(bert, push_service)
    push_service.answer(gone, 410)
    services.post_message(closed.pk, author=anna, body="@Bert Schuldhulp hoi")
    run_push_worker()
    assert not PushSubscription.objects.filter(pk=subscription.pk).exists()
    assert DBTaskResult.objects.filter(task_path__endswith="deliver").count() == 0  # no retry


def test_a_deactivated_user_gets_nothing_and_loses_their_devices(push_service, people):
    anna, bert, carla, closed, _open = people
    berts, _ = device_of(bert, push_service)
    carlas, _ = device_of(carla, push_service)
    services.post_message(closed.pk, author=anna, body="@Bert Schuldhulp @Carla Wijk hoi")
    # deactivated between the post and the push: nothing goes out
    bert.is_active = False
    bert.save()
    run_push_worker()
    assert push_service.to(berts) == []
    assert len(push_service.to(carlas)) == 1
    assert not PushSubscription.objects.filter(user=bert).exists()


def test_losing_verification_deletes_the_devices(push_service, people):
    _anna, bert, _carla, _closed, _open = people
    device_of(bert, push_service)
    professional = bert.professional
    professional.memberships.update(verified=False)
    professional.verified = False  # as directory.services.refresh_verified finds it
    professional.save()
    assert not PushSubscription.objects.filter(user=bert).exists()


def test_signing_out_deletes_the_devices_of_that_session(client, push_service, people):
    _anna, bert, _carla, _closed, _open = people
    client.force_login(bert)
    device = push_service.device()
    kept, _ = device_of(bert, push_service)  # another browser
    response = client.post(
        "/channels/notifications/devices/", device.as_json(), content_type="application/json"
    )
    assert response.status_code == 201
    assert PushSubscription.objects.filter(user=bert).count() == 2
    client.post("/accounts/logout/")
    assert list(PushSubscription.objects.filter(user=bert).values_list("endpoint", flat=True)) == [
        kept.endpoint
    ]


def test_a_5xx_is_tried_again_with_backoff_up_to_the_limit(push_service, people, settings):
    settings.PUSH_ATTEMPTS = 4
    anna, bert, _carla, closed, _open = people
    flaky, subscription = device_of(bert, push_service)
    push_service.answer(flaky, 503, 500, 502, 500, 500)
    services.post_message(closed.pk, author=anna, body="@Bert Schuldhulp hoi")
    delays = []
    for _attempt in range(10):
        started = timezone.now()
        run_push_worker()
        waiting = DBTaskResult.objects.filter(status="READY").first()
        if waiting is None:
            break
        delays.append(round((waiting.run_after - started).total_seconds() / 30))
        # the time has come: the worker takes it now
        DBTaskResult.objects.filter(pk=waiting.pk).update(run_after=timezone.now())
    tokens = [token for token, _status in push_service.requests]
    assert len(tokens) == 4  # the limit
    assert [status for _token, status in push_service.requests] == [503, 500, 502, 500]
    assert delays == [1, 4, 16]  # 30 s, 2 min, 8 min
    assert push_service.to(flaky) == []
    assert PushSubscription.objects.filter(pk=subscription.pk).exists()  # not gone, only failing


def test_a_5xx_then_success_delivers_once(push_service, people):
    anna, bert, _carla, closed, _open = people
    flaky, _ = device_of(bert, push_service)
    push_service.answer(flaky, 500)
    services.post_message(closed.pk, author=anna, body="@Bert Schuldhulp hoi")
    run_push_worker()
    assert push_service.to(flaky) == []
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_push_worker()
    assert len(push_service.to(flaky)) == 1


def test_nothing_is_queued_in_the_request_for_a_rolled_back_post(push_service, people):
    anna, bert, _carla, closed, _open = people
    device_of(bert, push_service)
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.post_message(closed.pk, author=anna, body="@Bert Schuldhulp hoi")
        assert DBTaskResult.objects.count() == 0  # queued only after the commit
        raise RuntimeError("rolled back")
    assert DBTaskResult.objects.count() == 0
