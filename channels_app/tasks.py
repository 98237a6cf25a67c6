"""The background tasks that send push notifications (``manage.py db_worker`` runs them).

``fan_out`` decides, for one event, who gets what on which device (``channels_app.push``) and
sends it; a push the push service does not take (5xx, 429, no answer) is tried again later by
``deliver``, after ``PUSH_RETRY_SECONDS`` and then four times as long each time, up to
``PUSH_ATTEMPTS`` in all. A subscription the push service no longer knows (404, 410) is
deleted.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from pywebpush import WebPushException, webpush
from requests import RequestException

from channels_app import push
from channels_app.models import PushSubscription

logger = logging.getLogger(__name__)

#: how long a push service keeps a push for a device that is offline (seconds)
TIME_TO_LIVE = 12 * 3600
#: how long the push service may take to answer (seconds)
TIMEOUT = 10

SENT, GONE, RETRY, FAILED = "sent", "gone", "retry", "failed"


@task()
def fan_out(event: dict[str, Any]) -> int:
    """Send ``event`` to every device of every recipient who may receive it; the number sent."""
    payloads = push.payloads(event)
    if not payloads:
        return 0
    sent = 0
    devices = PushSubscription.objects.filter(user_id__in=payloads, enabled=True)
    for device in devices:
        data = payloads[device.user_id].as_dict()
        if _attempt(device, data, attempt=1) == SENT:
            sent += 1
    return sent


@task()
def deliver(subscription_id: int, data: dict[str, str], attempt: int) -> str:
    """Try a push again (attempt number ``attempt``), if its device is still there and on and
    its person still may receive pushes."""
    device = PushSubscription.objects.filter(
        pk=subscription_id, enabled=True, user__is_active=True
    ).first()
    if device is None:
        return GONE
    return _attempt(device, data, attempt=attempt)


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after failed attempt number ``attempt`` before the next."""
    return timedelta(seconds=settings.PUSH_RETRY_SECONDS * 4 ** (attempt - 1))


def _attempt(device: PushSubscription, data: dict[str, str], *, attempt: int) -> str:
    outcome = send(device, data)
    if outcome != RETRY:
        return outcome
    if attempt >= settings.PUSH_ATTEMPTS:
        logger.warning("Push to device %s given up after %s attempts", device.pk, attempt)
        return FAILED
    deliver.using(run_after=timezone.now() + retry_delay(attempt)).enqueue(
        device.pk, data, attempt + 1
    )
    return RETRY


def send(device: PushSubscription, data: dict[str, str]) -> str:
    """One push to one device: SENT, GONE (deleted), RETRY (try again later) or FAILED."""
    try:
        webpush(
            subscription_info={
                "endpoint": device.endpoint,
                "keys": {"p256dh": device.p256dh, "auth": device.auth},
            },
            data=json.dumps(data, separators=(",", ":")),
            vapid_private_key=settings.VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=TIME_TO_LIVE,
            timeout=TIMEOUT,
        )
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        if status in (404, 410):
            # the browser unsubscribed, or the push service dropped the subscription
            PushSubscription.objects.filter(pk=device.pk).delete()
            return GONE
        if status is None or status == 429 or status >= 500:
            logger.info("Push to device %s: %s, tried again later", device.pk, status)
            return RETRY
        logger.warning("Push to device %s refused: %s", device.pk, status)
        return FAILED
    except (RequestException, OSError):
        logger.info("Push to device %s: no answer, tried again later", device.pk, exc_info=True)
        return RETRY
    except ValueError:  # keys that are not keys: the browser sent something else
        logger.warning("Push to device %s: its keys are not usable", device.pk)
        PushSubscription.objects.filter(pk=device.pk).delete()
        return GONE
    PushSubscription.objects.filter(pk=device.pk).update(last_success_at=timezone.now())
    return SENT
