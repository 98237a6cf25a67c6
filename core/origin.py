"""Which page may open a websocket: the whole origin counts, as in Django's CSRF check.

Channels' ``AllowedHostsOriginValidator`` compares only the Origin's host name with
``ALLOWED_HOSTS``, so ``https://127.0.0.1`` or ``http://localhost:9999`` could open a socket on a
site served at ``http://127.0.0.1:8000``. Here the Origin must equal the socket's own origin
(scheme, host and port) or be listed in ``CSRF_TRUSTED_ORIGINS``: the rule of
``CsrfViewMiddleware._origin_verified``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

Scope = dict[str, Any]

# daphne gives "ws"/"wss" (or nothing: the ASGI default is "ws"). Behind nginx the socket is
# plain; whether the browser's side was secure is said by the header SECURE_PROXY_SSL_HEADER
# names, as Django's HttpRequest.is_secure() reads it for pages (nginx sets X-Forwarded-Proto
# itself, platform/nginx.conf): daphne's --proxy-headers does not put it in a websocket's scope.
SECURE_SCHEMES = frozenset({"wss", "https"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin1"))
    return None


def _allowed_hosts() -> list[str]:
    # as HttpRequest.get_host()
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        return [".localhost", "127.0.0.1", "[::1]"]
    return settings.ALLOWED_HOSTS


def own_origin(scope: Scope) -> str | None:
    """``scheme://host[:port]`` of the socket itself, or None when its Host is not allowed.

    The Host header is checked against ``ALLOWED_HOSTS`` as Django checks it for pages: without
    that, a foreign name pointed at this server (DNS rebinding) would be its own origin.
    """
    host = _header(scope, b"host")
    if not host:
        return None
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, _allowed_hosts()):
        return None
    scheme = "https" if _is_secure(scope) else "http"
    return f"{scheme}://{host}"


def _is_secure(scope: Scope) -> bool:
    if scope.get("scheme", "ws") in SECURE_SCHEMES:
        return True
    proxy = settings.SECURE_PROXY_SSL_HEADER
    if not proxy:
        return False
    header, secure_value = proxy
    # "HTTP_X_FORWARDED_PROTO" -> b"x-forwarded-proto"
    name = header.removeprefix("HTTP_").replace("_", "-").lower().encode("latin1")
    value = _header(scope, name)
    return value is not None and value.split(",")[0].strip() == secure_value


def _trusted(origin: str) -> bool:
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in {entry for entry in trusted if "*" not in entry}:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    # "https://*.example.com": that scheme, the domain and its subdomains
    return any(
        is_same_domain(parsed.netloc, entry.split("://", 1)[1].lstrip("*"))
        for entry in trusted
        if "*" in entry and "://" in entry and entry.split("://", 1)[0] == parsed.scheme
    )


def origin_allowed(scope: Scope) -> bool:
    """Whether the websocket handshake in ``scope`` comes from a page this site trusts."""
    origin = _header(scope, b"origin")
    if origin is None:
        # Browsers always send Origin on a websocket handshake. Kept as Channels'
        # AllowedHostsOriginValidator had it: refused, unless ALLOWED_HOSTS holds "*".
        return "*" in settings.ALLOWED_HOSTS
    return origin == own_origin(scope) or _trusted(origin)


class SameOriginValidator:
    """ASGI middleware: refuse (close before accept) a websocket from a foreign origin."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator only guards websocket connections")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
