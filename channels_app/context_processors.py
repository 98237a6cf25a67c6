from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from channels_app.models import Notification
from directory.access import is_verified


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The header badge: the unread-notification count, and whether the page keeps it live.

    Only verified professionals may open the socket; their pages say so and the script opens it.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": Notification.objects.filter(
            user=user, read_at__isnull=True
        ).count(),
        "live_socket": is_verified(user),
    }
