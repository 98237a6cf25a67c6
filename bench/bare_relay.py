"""A bare Channels relay: the yardstick ``bench.fanout`` measures the platform against.

No database, no authentication, no Django apps: one consumer that joins a group on
``subscribe`` and relays ``send`` to that group through the Redis channel layer, configured
exactly as the platform configures it (``config.settings.CHANNEL_LAYERS``), with Channels'
standard Redis layer whatever ``CHANNEL_LAYER`` the platform runs with (``BARE_RELAY_LAYER``
chooses another). Like a well-made relay it serialises each frame once per message, not once per
recipient.

    REDIS_URL=redis://127.0.0.1:6379/9 daphne -b 127.0.0.1 -p 8101 bench.bare_relay:application
"""

from __future__ import annotations

import json
import os

import django
from django.conf import settings

if not settings.configured:
    os.environ.setdefault("DEBUG", "1")  # only so that the settings module needs no SECRET_KEY
    os.environ["CHANNEL_LAYER"] = os.environ.get("BARE_RELAY_LAYER", "redis")
    from config import settings as platform_settings

    if not platform_settings.REDIS_URL:
        raise SystemExit("bench.bare_relay needs REDIS_URL: it relays through the Redis layer.")
    settings.configure(CHANNEL_LAYERS=platform_settings.CHANNEL_LAYERS, INSTALLED_APPS=[])
    django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter


class RelayConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.groups_joined: set[str] = set()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = json.loads(text_data or "")
            room = int(frame["room"])
        except (ValueError, KeyError, TypeError):
            await self.send(text_data='{"type":"error"}')
            return
        group = f"room.{room}"
        if frame.get("type") == "subscribe":
            self.groups_joined.add(group)
            await self.channel_layer.group_add(group, self.channel_name)
            await self.send(text_data=json.dumps({"type": "subscribed", "room": room}))
        elif frame.get("type") == "send":
            text = json.dumps(
                {"type": "message.created", "room": room, "body": str(frame.get("body", ""))},
                separators=(",", ":"),
            )
            await self.channel_layer.group_send(group, {"type": "relay", "text": text})
            await self.send(text_data=json.dumps({"type": "ack", "room": room}))

    async def relay(self, event: dict) -> None:
        await self.send(text_data=event["text"])


async def http(scope: dict, receive, send) -> None:
    """Answers every HTTP request with 200, so that the benchmark can wait for the server."""
    if scope["type"] == "lifespan":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


application = ProtocolTypeRouter({"http": http, "websocket": RelayConsumer.as_asgi()})
