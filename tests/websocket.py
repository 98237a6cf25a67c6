"""Helpers to open the platform's websockets in-process, as a signed-in user."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application


@database_sync_to_async
def session_cookie_for(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def connect(path: str, user=None, origin: str = "http://testserver", extra_cookie: str = ""):
    """Open ``path``; return (communicator, connected, close code or subprotocol)."""
    cookies = [await session_cookie_for(user)] if user is not None else []
    if extra_cookie:
        cookies.append(extra_cookie)
    headers = [(b"origin", origin.encode()), (b"host", b"testserver")]
    if cookies:
        headers.append((b"cookie", "; ".join(cookies).encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, detail = await communicator.connect(timeout=5)
    return communicator, connected, detail
