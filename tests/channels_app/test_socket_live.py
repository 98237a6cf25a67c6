"""The websocket through a real daphne process and the configured channel layer."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.layers import get_channel_layer
from django.test import Client
from websockets.asyncio.client import connect as ws_connect

from tests.factories import ProfessionalFactory


def session_headers(user, server: str) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {
        "Cookie": f"sessionid={client.cookies['sessionid'].value}",
        "Origin": f"http://{server}",
    }


@pytest.mark.django_db(transaction=True)
def test_it_pings_through_daphne(live_asgi_server):
    headers = session_headers(ProfessionalFactory().user, live_asgi_server)

    async def scenario() -> dict:
        async with ws_connect(f"ws://{live_asgi_server}/ws/", additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            return json.loads(await asyncio.wait_for(ws.recv(), 10))

    assert asyncio.run(scenario()) == {"type": "pong"}


@pytest.mark.django_db(transaction=True)
def test_anonymous_is_refused_by_daphne(live_asgi_server):
    from websockets.exceptions import InvalidStatus

    async def scenario() -> None:
        async with ws_connect(
            f"ws://{live_asgi_server}/ws/",
            additional_headers={"Origin": f"http://{live_asgi_server}"},
        ):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(scenario())
    assert refused.value.response.status_code == 403


@pytest.mark.redis
async def test_the_channel_layer_is_redis_and_delivers():
    layer = get_channel_layer()
    assert type(layer).__module__.startswith("channels_redis")
    channel = await layer.new_channel()
    await layer.group_add("wijk-test", channel)
    await layer.group_send("wijk-test", {"type": "test.message", "text": "hallo"})
    assert (await asyncio.wait_for(layer.receive(channel), 5))["text"] == "hallo"
    await layer.group_discard("wijk-test", channel)
    await layer.flush()
