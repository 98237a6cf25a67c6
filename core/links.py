"""Addresses of the platform's pages as people open them from outside it: from an e-mail, a
calendar file, a feed. Built on ``SITE_URL``, never on the request's host, so that an e-mail
sent by a management command carries the same links as one sent while a page is served."""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` (what ``reverse`` returns) as a full address on ``SITE_URL``."""
    if not path.startswith("/"):
        raise ValueError(f"absolute_url takes a path from the site's root, not {path!r}")
    return f"{settings.SITE_URL}{path}"
