"""The websocket Origin check compares the whole origin: scheme, host and port.

Browsers send the page's origin with every websocket handshake. A socket is accepted only
from the site's own origin (the scheme the connection came in on, and the Host header with its
port) or from an origin listed in ``CSRF_TRUSTED_ORIGINS``, the rule of Django's CSRF check.
Through a real daphne, and for the validator function alone (proxy cases).
"""

from __future__ import annotations

import asyncio

import pytest
from django.test import Client
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from core.origin import origin_allowed
from tests.privacy.fixtures import build_world, mark_signed_in

TRUSTED = "https://wijk.example"


@pytest.fixture
def world(transactional_db):
    return build_world()


@pytest.fixture
def trusted_origin(settings):
    # set before live_asgi_server forks daphne, which inherits the settings
    settings.CSRF_TRUSTED_ORIGINS = [TRUSTED]
    return TRUSTED


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    mark_signed_in(client, user)
    return f"sessionid={client.cookies['sessionid'].value}"


def _status(server: str, path: str, cookie: str, origin: str) -> int:
    """101 when the socket opens, else the handshake's HTTP status."""

    async def scenario() -> int:
        headers = {"Cookie": cookie, "Origin": origin}
        try:
            async with ws_connect(
                f"ws://{server}{path}", additional_headers=headers, open_timeout=10
            ):
                return 101
        except InvalidStatus as refused:
            return refused.response.status_code

    return asyncio.run(scenario())


def _paths(world) -> list[str]:
    return ["/ws/", f"/ws/cases/{world.room.pk}/"]


def test_it_refuses_another_scheme_host_or_port(world, live_asgi_server):
    port = live_asgi_server.rsplit(":", 1)[1]
    cookie = _cookie(world.member)
    for origin in [f"https://127.0.0.1:{port}", "http://localhost:9999", "http://127.0.0.1:9999",
                   "http://127.0.0.1", f"http://localhost:{port}"]:  # fmt: skip
        for path in _paths(world):
            assert _status(live_asgi_server, path, cookie, origin) == 403, (path, origin)


def test_it_accepts_the_sites_exact_origin(world, live_asgi_server):
    cookie = _cookie(world.member)
    for path in _paths(world):
        assert _status(live_asgi_server, path, cookie, f"http://{live_asgi_server}") == 101, path


def test_it_accepts_a_trusted_origin(trusted_origin, world, live_asgi_server):
    cookie = _cookie(world.member)
    for path in _paths(world):
        assert _status(live_asgi_server, path, cookie, trusted_origin) == 101, path
        assert _status(live_asgi_server, path, cookie, "http://wijk.example") == 403, path


# ---- the validator alone --------------------------------------------------------------------


def _scope(origin: str | None, *, host: str = "wijk.example", scheme: str | None = "ws") -> dict:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    scope = {"type": "websocket", "path": "/ws/", "headers": headers}
    if scheme is not None:
        scope["scheme"] = scheme
    return scope


@pytest.fixture
def site(settings):
    settings.ALLOWED_HOSTS = ["wijk.example", "127.0.0.1"]
    settings.CSRF_TRUSTED_ORIGINS = []
    return settings


@pytest.mark.parametrize(
    ("scheme", "accepted", "refused"),
    [
        # daphne without --proxy-headers: the socket's own scheme
        ("ws", "http://wijk.example", "https://wijk.example"),
        ("wss", "https://wijk.example", "http://wijk.example"),
        # a server that puts the forwarded scheme in the scope
        ("https", "https://wijk.example", "http://wijk.example"),
        ("http", "http://wijk.example", "https://wijk.example"),
        # the ASGI default when a server leaves the scheme out
        (None, "http://wijk.example", "https://wijk.example"),
    ],
)
def test_it_takes_the_scheme_from_the_connection_or_the_proxy(site, scheme, accepted, refused):
    assert origin_allowed(_scope(accepted, scheme=scheme))
    assert not origin_allowed(_scope(refused, scheme=scheme))


def test_behind_the_proxy_the_forwarded_scheme_counts_as_django_reads_it(site):
    # daphne --proxy-headers leaves a websocket's scope["scheme"] out; nginx says X-Forwarded-Proto
    behind_nginx = _scope("https://wijk.example", scheme=None)
    behind_nginx["headers"].append((b"x-forwarded-proto", b"https"))
    site.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert origin_allowed(behind_nginx)
    plain = _scope("http://wijk.example", scheme=None)
    plain["headers"].append((b"x-forwarded-proto", b"https"))
    assert not origin_allowed(plain)
    # without SECURE_PROXY_SSL_HEADER (no proxy configured) the header is not believed
    site.SECURE_PROXY_SSL_HEADER = None
    assert not origin_allowed(behind_nginx)


@pytest.mark.parametrize(
    "origin",
    ["https://127.0.0.1:8000", "http://127.0.0.1", "http://127.0.0.1:9999", "http://localhost:8000",
     "http://127.0.0.1:8000/", "null", "file://", "http://127.0.0.1:8000.evil.example", ""],
)  # fmt: skip
def test_it_compares_scheme_host_and_port(site, origin):
    assert origin_allowed(_scope("http://127.0.0.1:8000", host="127.0.0.1:8000"))
    assert not origin_allowed(_scope(origin, host="127.0.0.1:8000"))


def test_it_refuses_a_host_outside_allowed_hosts_even_when_origin_matches(site):
    # DNS rebinding: a foreign name pointed at this server; Origin and Host agree
    assert not origin_allowed(_scope("http://evil.example:8000", host="evil.example:8000"))


def test_it_accepts_csrf_trusted_origins_as_django_does(site):
    site.CSRF_TRUSTED_ORIGINS = ["https://portaal.example:8443", "https://*.regio.example"]
    assert origin_allowed(_scope("https://portaal.example:8443"))
    assert origin_allowed(_scope("https://heerlen.regio.example"))
    assert not origin_allowed(_scope("https://portaal.example"))
    assert not origin_allowed(_scope("http://heerlen.regio.example"))
    assert not origin_allowed(_scope("https://regio.example.evil.example"))


def test_a_missing_origin_is_refused_as_before(site):
    assert not origin_allowed(_scope(None))
    # Channels' AllowedHostsOriginValidator let it through only when ALLOWED_HOSTS holds "*"
    site.ALLOWED_HOSTS = ["*"]
    assert origin_allowed(_scope(None))
    assert not origin_allowed(_scope("http://evil.example", host="wijk.example"))
