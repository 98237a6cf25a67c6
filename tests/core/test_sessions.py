"""The session store keeps the expiry of the row it loads, so a socket's rights check reads it
without a second query; an ended session loads empty and vouches for nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.protocol import fresh_session, session_expiry
from core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _session() -> SessionStore:
    store = SessionStore()
    store["_auth_user_id"] = "1"
    store.create()
    return store


def test_a_loaded_session_knows_its_expiry_without_another_query(django_assert_num_queries):
    store = _session()
    expires = timezone.now() + timedelta(hours=3)
    Session.objects.filter(session_key=store.session_key).update(expire_date=expires)
    with django_assert_num_queries(1):
        fresh = fresh_session(store)
        assert fresh is not None
        assert session_expiry(fresh) == pytest.approx(expires.timestamp())


async def test_the_expiry_is_kept_by_the_asynchronous_load_too():
    made = SessionStore()
    made["_auth_user_id"] = "1"
    await made.acreate()
    loaded = SessionStore(made.session_key)
    assert await loaded.aget("_auth_user_id") == "1"
    row = await Session.objects.aget(session_key=made.session_key)
    assert loaded.loaded_expiry == row.expire_date


def test_an_ended_session_is_not_fresh_and_an_unloaded_one_asks_the_database(
    django_assert_num_queries,
):
    store = _session()
    Session.objects.filter(session_key=store.session_key).delete()
    assert fresh_session(store) is None
    kept = _session()
    unloaded = SessionStore(kept.session_key)
    with django_assert_num_queries(1):  # nothing loaded yet: the row's expiry is read
        assert session_expiry(unloaded) > timezone.now().timestamp()
