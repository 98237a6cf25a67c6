"""Django's database session store, which also remembers when the row it loaded expires.

A socket checks its rights against a freshly loaded session and then needs the session's
expiry to know when to check again: kept from the same read, that costs no second query
(``core.protocol.session_expiry``). Set as ``SESSION_ENGINE``; the table is Django's own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.sessions.backends import db


class SessionStore(db.SessionStore):
    #: the expiry of the row the last load found; None before a load or when none was found
    loaded_expiry: datetime | None = None

    def _get_session_from_db(self) -> Any:
        # the read that Django's db and cached_db stores share; django-stubs leave it out
        session = super()._get_session_from_db()  # type: ignore[misc]
        self.loaded_expiry = session.expire_date if session is not None else None
        return session

    async def _aget_session_from_db(self) -> Any:
        session = await super()._aget_session_from_db()  # type: ignore[misc]
        self.loaded_expiry = session.expire_date if session is not None else None
        return session
