"""One's devices for push notifications: subscribing, the list, turning off and removing; no one
else's device is found. The channel's push level, and the settings form."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from channels_app import services
from channels_app.models import PushLevel, PushPreferences, PushSubscription
from tests.factories import ProfessionalFactory, UserFactory
from tests.push_service import PushService

pytestmark = pytest.mark.django_db
DEVICES = "/channels/notifications/devices/"


def person(name: str):
    return ProfessionalFactory(user=UserFactory(display_name=name)).user


def subscribe(client, subscription, **headers):
    return client.post(DEVICES, subscription, content_type="application/json", **headers)


def test_a_device_subscribes_and_is_listed_for_its_owner_only(client, push_service: PushService):
    owner, other = person("Olga Eigenaar"), person("Otto Buiten")
    device = push_service.device()
    client.force_login(owner)
    agent = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
    response = subscribe(client, device.as_json(), HTTP_USER_AGENT=agent)
    assert response.status_code == 201
    stored = PushSubscription.objects.get(user=owner)
    assert (stored.endpoint, stored.p256dh, stored.auth) == (
        device.endpoint, device.p256dh, device.auth,
    )  # fmt: skip
    assert stored.label == "Firefox op Linux"
    again = subscribe(client, device.as_json(), HTTP_USER_AGENT=agent)
    assert again.status_code == 201  # the same device again: the same row
    assert PushSubscription.objects.count() == 1
    page = client.get(reverse("channels_app:push_settings")).content.decode()
    assert "Firefox op Linux" in page and "(dit apparaat)" in page

    client, owners = Client(), client  # another browser: signing in here would sign out there
    client.force_login(other)
    assert (
        "Firefox op Linux" not in client.get(reverse("channels_app:push_settings")).content.decode()
    )
    for action in ("remove", "off"):
        url = reverse("channels_app:push_device", args=[stored.pk, action])
        assert client.post(url).status_code == 404
    forget = {"endpoint": device.endpoint}
    assert client.delete(DEVICES, forget, content_type="application/json").status_code == 404
    assert PushSubscription.objects.filter(pk=stored.pk, enabled=True).exists()

    client = owners
    client.post(reverse("channels_app:push_device", args=[stored.pk, "off"]))
    assert not PushSubscription.objects.get(pk=stored.pk).enabled
    assert client.delete(DEVICES, forget, content_type="application/json").status_code == 204
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda s: {**s, "endpoint": "https://intern.example/hook"}, "pushdienst"),
        (lambda s: {**s, "endpoint": ""}, "geen adres"),
        (lambda s: {**s, "keys": {"p256dh": "abc", "auth": s["keys"]["auth"]}}, "sleutels"),
        (lambda s: {**s, "keys": {"p256dh": s["keys"]["p256dh"]}}, "sleutels"),
        (lambda s: [s], "geen adres"),
        (lambda s: {**s, "endpoint": s["endpoint"] + "\x00"}, "geen adres"),
    ],
)
def test_a_bad_subscription_is_refused_with_a_reason(client, push_service, change, reason):
    client.force_login(person("Anna"))
    response = subscribe(client, change(push_service.device().as_json()))
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_forgetting_an_address_with_a_nul_is_refused(client, push_service):
    client.force_login(person("Anna"))
    forget = {"endpoint": push_service.device().as_json()["endpoint"] + "\x00"}
    response = client.delete(DEVICES, forget, content_type="application/json")
    assert response.status_code == 400 and "geen adres" in response.json()["error"]


def test_not_json_is_refused(client, push_service):
    client.force_login(person("Anna"))
    response = client.post(DEVICES, "{", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]


def test_the_quiet_hours_and_preview_are_saved_and_bad_times_refused(client):
    user = person("Anna")
    client.force_login(user)
    url = reverse("channels_app:push_settings")
    page = client.get(url).content.decode()
    assert 'value="18:00"' in page and 'value="08:00"' in page  # the defaults
    response = client.post(url, {"quiet_from": "25:00", "quiet_until": "07:00"})
    assert response.status_code == 400
    assert not PushPreferences.objects.filter(user=user).exists()
    response = client.post(
        url, {"quiet_from": "20:00", "quiet_until": "07:30", "show_content": "on"}
    )
    assert response.status_code == 302
    saved = PushPreferences.objects.get(user=user)
    assert (str(saved.quiet_from), str(saved.quiet_until)) == ("20:00:00", "07:30:00")
    assert saved.show_content and not saved.quiet_weekends


def test_a_member_sets_a_channel_s_push_level_and_an_outsider_cannot(client):
    owner, outsider = person("Olga"), person("Otto")
    channel = services.create_channel(by=owner, kind="closed", name="Samen Heerlen Gezond")
    url = reverse("channels_app:push_level", args=[channel.pk])
    client.force_login(outsider)
    assert client.post(url, {"push": "none"}).status_code == 404
    client.force_login(owner)
    response = client.post(url, {"push": "mentions"})
    assert response.status_code == 302
    assert channel.memberships.get(user=owner).push == PushLevel.MENTIONS
    response = client.post(url, {"push": "loud"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and response.json()["error"]
    response = client.post(url, {"push": "none"}, HTTP_ACCEPT="application/json")
    assert response.json() == {"push": "none"}
    page = client.get(reverse("channels_app:push_settings")).content.decode()
    assert "Samen Heerlen Gezond" in page  # listed among the channels that are not "everything"


def test_the_channel_s_details_offer_its_push_level_to_members_only(client):
    owner, outsider = person("Olga"), person("Otto")
    channel = services.create_channel(by=owner, kind="open", name="Geldzorgen Hoensbroek")
    channel.memberships.filter(user=owner).update(push=PushLevel.MENTIONS)
    client.force_login(owner)
    page = client.get(reverse("channels_app:info", args=[channel.pk])).content.decode()
    action = reverse("channels_app:push_level", args=[channel.pk])
    assert f'action="{action}"' in page
    assert 'value="mentions"' in page and "Alleen vermeldingen" in page
    checked = page[page.index('value="mentions"') - 200 : page.index('value="mentions"') + 200]
    assert "checked" in checked
    panel = client.get(
        reverse("channels_app:info", args=[channel.pk]), HTTP_X_WIJK_FRAGMENT="info"
    ).content.decode()
    assert 'id="push-push_0"' in page and 'id="info-push-push_0"' in panel  # ids of its own
    client.force_login(outsider)
    page = client.get(reverse("channels_app:info", args=[channel.pk])).content.decode()
    assert action not in page  # an open channel's reader who is no member has no level
