"""``/metrics`` for Prometheus, the time of every HTTP request, and each request's id.

Each daphne process answers for itself (core.metrics): Prometheus scrapes every web process
directly (web1:8000, web2:8000 inside the Docker network), never through nginx, which refuses
``/metrics`` (docs/DEPLOY.md, "Monitoring"). The answer needs
``Authorization: Bearer <METRICS_TOKEN>``; without a token configured, or with another one, the
request goes on to Django like any other and finds no page there (404).

``MetricsMiddleware`` wraps the whole ASGI application (config/asgi.py), so a request's time
includes its wait for a thread, and ``/metrics`` is answered before Django's host check and
HTTPS redirect (the scraper asks for web1:8000 over plain HTTP). ``RouteNameMiddleware``, in
Django's middleware, tells it which URL pattern served the request: the label is the pattern's
name, never the path, which may carry ids.
"""

from __future__ import annotations

import hmac
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from config.logs import request_id
from core.metrics import HTTP_SECONDS

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: where ``RouteNameMiddleware`` leaves the matched pattern's name in the ASGI scope
ROUTE_KEY = "wijkplatform.route"
UNMATCHED = "unmatched"
#: what an X-Request-ID from nginx (its $request_id) may look like; otherwise a new one is made
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return bytes(value)
    return None


def authorised(scope: Scope) -> bool:
    """Whether the request carries ``Authorization: Bearer <METRICS_TOKEN>``; never without a
    token configured."""
    token: str = settings.METRICS_TOKEN
    header = _header(scope, b"authorization")
    if not token or header is None:
        return False
    scheme, _, given = header.partition(b" ")
    return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), token.encode())


def _request_id(scope: Scope) -> str:
    given = _header(scope, b"x-request-id")
    if given is not None:
        text = given.decode("latin-1")
        if REQUEST_ID.fullmatch(text):
            return text
    return uuid.uuid4().hex


class MetricsMiddleware:
    """ASGI: ``/metrics`` for the scraper; every other HTTP request timed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # for the log lines written while serving it (config.logs); a websocket's whole life
        request_id.set(_request_id(scope))
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/metrics" and authorised(scope):
            await self.answer(send)
            return
        started = time.perf_counter()
        status = 0

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            method = scope.get("method", "")
            route = scope.get(ROUTE_KEY) or (
                "static" if scope["path"].startswith(settings.STATIC_URL) else UNMATCHED
            )
            HTTP_SECONDS.labels(
                method if method in METHODS else "other",
                route,
                f"{status // 100}xx" if status else "none",
            ).observe(time.perf_counter() - started)

    @staticmethod
    async def answer(send: Send) -> None:
        body = generate_latest(REGISTRY)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", CONTENT_TYPE_LATEST.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class RouteNameMiddleware:
    """Django: leave the name of the URL pattern that served the request where
    ``MetricsMiddleware`` finds it."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        response = self.get_response(request)
        self.note(request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = await self.get_response(request)
        self.note(request)
        return response

    @staticmethod
    def note(request: HttpRequest) -> None:
        scope = getattr(request, "scope", None)
        match = getattr(request, "resolver_match", None)
        if scope is not None and match is not None:
            scope[ROUTE_KEY] = match.view_name or UNMATCHED
