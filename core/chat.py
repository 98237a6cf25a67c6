"""What every chat room of the platform checks the same way, channels and case rooms alike: the
rate limit, message bodies, client ids and sequence numbers."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.protocol import is_number

MAX_MESSAGE_LENGTH = 4000


class RateLimited(Exception):
    pass


def check_rate(user: Any) -> None:
    """A sliding-ish window per user in the shared cache, so it holds across processes."""
    limit, seconds = settings.MESSAGE_RATE_LIMIT
    window = int(timezone.now().timestamp() // seconds)
    key = f"rate:msg:{user.pk}:{window}"
    if cache.add(key, 1, timeout=seconds * 2):
        return
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=seconds * 2)
        return
    if count > limit:
        raise RateLimited


def parse_client_id(client_id: Any) -> uuid.UUID:
    """The client's UUID for an idempotent send; a new one when the client sent none."""
    if client_id is None:
        return uuid.uuid4()
    if isinstance(client_id, uuid.UUID):
        return client_id
    try:
        if not isinstance(client_id, str):
            raise ValueError(client_id)
        return uuid.UUID(client_id)
    except ValueError:
        raise ValidationError(_("The client id must be a UUID."), code="bad_client_id") from None


def sequence_number(seq: Any) -> int:
    """``seq`` if it is a valid sequence number (a whole number, not negative)."""
    if not is_number(seq):
        raise ValidationError(_("The sequence number must be a whole number."))
    return seq


def clean_body(body: Any, *, allow_empty: bool = False) -> str:
    if body is None and allow_empty:
        body = ""
    if not isinstance(body, str) or (not body.strip() and not allow_empty):
        raise ValidationError(_("A message cannot be empty."), code="empty")
    body = body.strip()
    if "\x00" in body or _has_lone_surrogate(body):
        # PostgreSQL stores neither; a form refuses NUL too (Django's null character check)
        raise ValidationError(
            _("This message contains a character that cannot be stored."), code="unstorable"
        )
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            _("A message can be at most %(max)d characters; this one has %(n)d.")
            % {"max": MAX_MESSAGE_LENGTH, "n": len(body)},
            code="too_long",
        )
    return str(body)


def _has_lone_surrogate(text: str) -> bool:
    """Half of a UTF-16 pair on its own, which JSON allows (``"\\ud800"``) but UTF-8 cannot
    encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
