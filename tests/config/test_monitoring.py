"""``/metrics`` (config.monitoring, core.metrics) and the JSON log lines (config.logs).

Requests go through the whole ASGI application as daphne hands them over (channels'
``HttpCommunicator``); the numbers are this process's own. A real daphne process with JSON logs
and a token: tests/test_smoke_daphne.py; nginx refusing ``/metrics``: tests/topology.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import HttpCommunicator
from django.core.exceptions import PermissionDenied
from django.db import transaction
from prometheus_client import REGISTRY
from pythonjsonlogger.json import JsonFormatter

from channels_app import services as channel_services
from config.asgi import application
from config.logs import RequestIdFilter, logging_config, request_id
from core import layerwatch, metrics
from core.protocol import group_send_after_commit
from privacy import services as case_services
from tests.channels_app.fixtures import _verified
from tests.websocket import connect

TOKEN = "a-token-for-the-scraper-only"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def get(path: str, *, headers: dict[str, str] | None = None) -> dict:
    sent = [(b"host", b"testserver")]
    sent += [(key.lower().encode(), value.encode()) for key, value in (headers or {}).items()]
    communicator = HttpCommunicator(application, "GET", path, headers=sent)
    try:
        return await communicator.get_response(timeout=10)
    finally:
        await communicator.wait()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("configured", "headers"),
    [
        ("", {}),
        ("", bearer("")),
        (TOKEN, {}),
        (TOKEN, bearer("not-the-token")),
        (TOKEN, bearer(TOKEN + "x")),
        (TOKEN, {"Authorization": f"Basic {TOKEN}"}),
    ],
    ids=["no-token-configured", "empty-token", "none-sent", "wrong", "longer", "not-bearer"],
)
async def test_metrics_are_not_there_without_the_configured_token(settings, configured, headers):
    settings.METRICS_TOKEN = configured
    response = await get("/metrics", headers=headers)
    assert response["status"] == 404
    assert b"wijk_" not in response["body"]  # the site's own 404 page, like any unknown path


async def test_metrics_with_the_token_name_every_platform_metric(settings):
    settings.METRICS_TOKEN = TOKEN
    response = await get("/metrics", headers=bearer(TOKEN))
    assert response["status"] == 200
    assert dict(response["headers"])[b"content-type"].startswith(b"text/plain")
    text = response["body"].decode()
    for name in (
        "wijk_http_request_duration_seconds",
        "wijk_websocket_connections",
        "wijk_messages_posted_total",
        "wijk_channel_layer_errors_total",
        "wijk_layer_repairs_total",
        "process_resident_memory_bytes",
    ):
        assert f"# TYPE {name} " in text, name


@pytest.mark.django_db(transaction=True)
async def test_a_request_is_timed_under_its_route_name_never_its_path():
    count = "wijk_http_request_duration_seconds_count"
    served = {"method": "GET", "route": "healthz", "status": "2xx"}
    missing = {"method": "GET", "route": "unmatched", "status": "4xx"}
    before_served, before_missing = sample(count, **served), sample(count, **missing)
    assert (await get("/healthz"))["status"] == 200
    assert (await get("/no-such-page/987654/"))["status"] == 404
    assert sample(count, **served) == before_served + 1
    assert sample(count, **missing) == before_missing + 1
    routes = {
        s.labels["route"]
        for family in REGISTRY.collect()
        if family.name == "wijk_http_request_duration_seconds"
        for s in family.samples
    }
    assert not any("987654" in route or "/" in route for route in routes)


@pytest.mark.django_db(transaction=True)
async def test_an_open_websocket_is_counted_until_it_closes():
    user = await database_sync_to_async(_verified)("Sam Socket")
    before = sample("wijk_websocket_connections")
    communicator, connected, _ = await connect("/ws/", user)
    assert connected
    assert sample("wijk_websocket_connections") == before + 1
    await communicator.disconnect()
    assert sample("wijk_websocket_connections") == before
    _refused, connected, _ = await connect("/ws/")  # not signed in: never open, never counted
    assert not connected
    assert sample("wijk_websocket_connections") == before


def test_a_stored_message_counts_for_its_kind_of_room_once_committed(
    closed_room, world, django_capture_on_commit_callbacks
):
    def posted(kind: str) -> float:
        return sample("wijk_messages_posted_total", kind=kind)

    direct = channel_services.direct_channel(by=closed_room.owner, others=[closed_room.member])
    before = {kind: posted(kind) for kind in (metrics.CHANNEL, metrics.DIRECT, metrics.CASE_ROOM)}
    with django_capture_on_commit_callbacks(execute=True):
        channel_services.post_message(closed_room.channel.pk, author=closed_room.owner, body="a")
        channel_services.post_message(closed_room.channel.pk, author=closed_room.member, body="b")
        channel_services.post_message(direct.pk, author=closed_room.owner, body="c")
        case_services.post_message(world.room.pk, author=world.coordinator, body="d")
        # not stored: nothing counted
        with pytest.raises(PermissionDenied):
            channel_services.post_message(
                closed_room.channel.pk, author=closed_room.outsider, body="e"
            )
    assert posted(metrics.CHANNEL) == before[metrics.CHANNEL] + 2
    assert posted(metrics.DIRECT) == before[metrics.DIRECT] + 1
    assert posted(metrics.CASE_ROOM) == before[metrics.CASE_ROOM] + 1


@pytest.fixture
def unreachable_layer(settings):
    """A real Redis layer whose server is not there: nothing listens on port 9."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": "redis://127.0.0.1:9/0", "socket_connect_timeout": 1}]
            },
        }
    }
    return get_channel_layer()


def test_a_broadcast_the_channel_layer_refuses_counts_as_a_layer_error(
    db, unreachable_layer, django_capture_on_commit_callbacks
):
    before = sample("wijk_channel_layer_errors_total", operation="send")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        group_send_after_commit("nobody", {"type": "frame.forward", "text": "{}"})
    assert sample("wijk_channel_layer_errors_total", operation="send") == before + 1


async def test_a_watch_that_cannot_reach_the_layer_counts_layer_errors(
    unreachable_layer, monkeypatch
):
    monkeypatch.setattr(layerwatch, "PROBE_EVERY", 0.05)
    errors = "wijk_channel_layer_errors_total"
    before = sample(errors, operation="watch")
    task = asyncio.get_running_loop().create_task(layerwatch.LayerWatch(unreachable_layer).run())
    try:
        for _ in range(100):
            if sample(errors, operation="watch") >= before + 2:
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert sample(errors, operation="watch") >= before + 2


@pytest.mark.parametrize(
    ("given", "kept"),
    [("4f1c9a0e8b7d6c5a4f1c9a0e8b7d6c5a", True), ("<script>", False), (None, False)],
)
async def test_the_log_lines_of_a_request_carry_the_id_nginx_gave_it(caplog, given, kept):
    caplog.set_level("WARNING", logger="django.request")
    response = await get("/no-such-page/", headers={"X-Request-ID": given} if given else {})
    assert response["status"] == 404
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert (record.request_id == given) is kept
    assert len(record.request_id) >= 8


def test_a_json_log_line_has_time_level_logger_message_and_request_id():
    spec = dict(logging_config("json", "INFO")["formatters"]["json"])
    assert spec.pop("()") == "pythonjsonlogger.json.JsonFormatter"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**spec))
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("tests.json_log")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        token = request_id.set("0123456789abcdef")
        try:
            # Django's request log passes the request, whose text has the query string
            logger.info("Sent %d pushes", 3, extra={"request": "<GET '/zoek?q=Jansen'>"})
        finally:
            request_id.reset(token)
        logger.warning("Outside a request")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "INFO" and second["level"] == "WARNING"
    assert first["logger"] == "tests.json_log"
    assert first["message"] == "Sent 3 pushes"
    assert first["request_id"] == "0123456789abcdef"
    assert "request_id" not in second
    assert first["timestamp"].endswith("+00:00") and first["timestamp"][:4].isdigit()
    assert "Jansen" not in stream.getvalue()
