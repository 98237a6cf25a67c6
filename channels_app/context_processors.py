from __future__ import annotations

from django.http import HttpRequest

from channels_app.models import Notification


def notifications(request: HttpRequest) -> dict[str, int]:
    """The unread-notification count for the header badge (one small indexed query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count()
    }
