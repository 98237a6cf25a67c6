"""Requests through nginx, as production serves them: platform/nginx.conf in front of two
daphne processes (tests/topology/conftest.py).

The client stands where the TLS terminator does (docs/DEPLOY.md, "TLS"): it sends the site's
Host and ``X-Forwarded-Proto: https``, and nginx trusts its ``X-Forwarded-For``.
"""

from __future__ import annotations

import asyncio
import gzip
import http.client
import json
import re
import secrets
import time
import uuid
from email.message import Message

import pytest
from django.test import Client
from websockets.asyncio.client import connect

from channels_app import services as channel_services
from channels_app.models import Attachment
from privacy.models import AccessLogEntry
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e import open_room
from tests.e2e.axe import axe_violations
from tests.factories import ProfessionalFactory
from tests.knowledge.fixtures import pdf_bytes
from tests.privacy.fixtures import build_world, strong_client
from tests.topology.conftest import HOST, ORIGIN, WEBSOCKET_TIMEOUT

# The test database must exist for the servers also when only tests that create nothing run;
# those roll back an empty transaction instead of emptying every table afterwards.
pytestmark = [pytest.mark.redis, pytest.mark.nginx, pytest.mark.django_db]
#: for the tests that create what the servers are to read: committed, so that they see it
with_data = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024
#: client_max_body_size in platform/nginx.conf
BODY_LIMIT = 25 * MB


def request(
    topology,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    https: bool = True,
    source: str = "127.0.0.1",
) -> tuple[int, Message, bytes]:
    """One request to nginx from ``source`` (any 127.x address is this machine)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", topology.port, timeout=60, source_address=(source, 0)
    )
    sent = {"Host": HOST, **({"X-Forwarded-Proto": "https"} if https else {}), **(headers or {})}
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def access_log_lines(topology, path: str, at_least: int = 0, containing: str = "") -> list[str]:
    """nginx's access log lines for ``path`` (with ``containing``), once there are ``at_least``
    (nginx writes one as the request ends, which may be just after the client read the answer)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [
            line
            for line in topology.nginx.access()
            if f" {path} HTTP/" in line and containing in line
        ]
        if len(lines) >= at_least or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


@with_data
def test_pages_come_from_daphne_through_nginx(topology, production_keys):
    status, headers, body = request(topology, "GET", "/accounts/login/")
    assert status == 200
    html = body.decode()
    assert '<html lang="nl"' in html and "Inloggen" in html
    assert headers["Server"] == "nginx"  # server_tokens off: no version
    assert headers["Content-Type"].startswith("text/html")

    status, headers, _body = request(topology, "GET", "/")
    assert status == 302
    assert headers["Location"].startswith("/accounts/login/")

    anna = ProfessionalFactory(user__display_name="Anna Wijkverpleging").user
    cookie = session_cookie(anna)
    status, _headers, body = request(
        topology, "GET", "/", headers={"Cookie": f"sessionid={cookie}"}
    )
    assert status == 200
    assert "Anna Wijkverpleging" in body.decode()


def test_pages_carry_the_security_headers_and_hsts_over_https(topology):
    status, headers, _body = request(topology, "GET", "/accounts/login/")
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    policy = headers["Content-Security-Policy"]
    for directive in ["default-src 'self'", "script-src 'self'", "object-src 'none'",
                      "frame-ancestors 'none'", "form-action 'self'"]:  # fmt: skip
        assert directive in policy, policy
    # each header once: nginx adds none of its own to proxied pages
    assert len(headers.get_all("Content-Security-Policy")) == 1
    assert len(headers.get_all("X-Content-Type-Options")) == 1
    (csrf_cookie,) = [c for c in headers.get_all("Set-Cookie") if c.startswith("csrftoken=")]
    assert "; Secure" in csrf_cookie and "SameSite=Lax" in csrf_cookie


def test_nginx_passes_the_host_on_and_the_platform_refuses_a_foreign_one(topology):
    status, _headers, _body = request(
        topology, "GET", "/accounts/login/", headers={"Host": "wijkplatform.example.evil"}
    )
    assert status == 400


@pytest.mark.parametrize("proto", [None, "http", "ftp"])
def test_plain_http_is_redirected_to_https_without_hsts(topology, proto):
    headers = {"X-Forwarded-Proto": proto} if proto else {}
    status, answer, _body = request(
        topology, "GET", "/accounts/login/", headers=headers, https=False
    )
    assert status == 301
    assert answer["Location"] == f"{ORIGIN}/accounts/login/"
    assert "Strict-Transport-Security" not in answer


def test_healthz_answers_over_plain_http_and_stays_out_of_the_access_log(topology):
    for https in [False, True]:
        status, _headers, body = request(topology, "GET", "/healthz", https=https)
        assert (status, body) == (200, b"ok")
    assert access_log_lines(topology, "/healthz") == []


def test_metrics_are_refused_through_nginx_and_answered_inside_with_the_token(topology):
    token = {"Authorization": f"Bearer {topology.env['METRICS_TOKEN']}"}
    for path in ["/metrics", "/metrics?x=1", "/%6Detrics", "//metrics"]:
        for https in [False, True]:
            status, _headers, body = request(topology, "GET", path, headers=token, https=https)
            assert status == 404, (path, https)
            assert b"wijk_" not in body
    # what Prometheus does inside the deployment network: each process, over plain HTTP, with
    # the process's address as host; with another token Django's host check refuses it
    for port in topology.upstreams:
        for sent, expected in [(token, 200), ({"Authorization": "Bearer guessed"}, 400)]:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("GET", "/metrics", headers=sent)
                response = connection.getresponse()
                body = response.read()
            finally:
                connection.close()
            assert response.status == expected
            assert (b"wijk_websocket_connections " in body) is (expected == 200)


def test_nginx_logs_each_request_with_the_id_it_passes_on(topology):
    agent = f"request-id-{uuid.uuid4()}"
    assert request(topology, "GET", "/accounts/login/", headers={"User-Agent": agent})[0] == 200
    (line,) = access_log_lines(topology, "/accounts/login/", at_least=1, containing=agent)
    assert re.search(r" request_id=[0-9a-f]{32}$", line), line


def test_requests_are_spread_over_both_daphne_processes(topology):
    agent = f"spread-{uuid.uuid4()}"  # the log has no query string; it has the user agent
    for _ in range(8):
        assert request(topology, "GET", "/accounts/login/", headers={"User-Agent": agent})[0] == 200
    lines = access_log_lines(topology, "/accounts/login/", at_least=8, containing=agent)
    assert len(lines) == 8
    used = {re.search(r"upstream=(\S+)", line).group(1) for line in lines}
    assert used == {f"127.0.0.1:{port}" for port in topology.upstreams}, lines


def test_static_files_are_served_by_nginx_hashed_ones_cached_for_a_year(topology):
    manifest = json.loads((topology.static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", hashed)
    original = (topology.static_root / hashed).read_bytes()

    status, headers, body = request(
        topology, "GET", f"/static/{hashed}", headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Content-Type"].startswith("text/css")
    assert headers["X-Content-Type-Options"] == "nosniff"
    # the .gz file collectstatic wrote next to it
    assert headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in headers["Vary"]
    assert gzip.decompress(body) == original
    # not passed to daphne, which would add the Content-Security-Policy of every response
    assert "Content-Security-Policy" not in headers

    status, headers, body = request(topology, "GET", "/static/css/site.css")
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=3600"
    assert body == (topology.static_root / "css" / "site.css").read_bytes()

    status, headers, _body = request(topology, "GET", "/static/css/nothing.0123456789ab.css")
    assert status == 404


def _multipart(filename: str, content: bytes, total: int | None = None) -> tuple[bytes, str]:
    """A form with one file field; with ``total``, the file is padded so that the whole body
    is exactly that many bytes."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
        "\r\nContent-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    if total is not None:
        content = content + b"\0" * (total - len(head) - len(content) - len(tail))
    body = head + content + tail
    assert total is None or len(body) == total
    return body, f"multipart/form-data; boundary={boundary}"


@with_data
def test_uploads_up_to_the_limit_reach_the_platform_and_one_byte_more_gets_the_413_page(
    topology, production_keys
):
    owner = ProfessionalFactory().user
    channel = channel_services.create_channel(by=owner, kind="closed", name="Uploads")
    token = secrets.token_hex(16)  # the CSRF cookie's value, 32 characters
    signed_in = {
        "Cookie": f"sessionid={session_cookie(owner)}; csrftoken={token}",
        "X-CSRFToken": token,
        "Origin": ORIGIN,
    }
    path = f"/channels/{channel.pk}/upload/"

    def post(body: bytes, content_type: str):
        headers = {**signed_in, "Content-Type": content_type}
        return request(topology, "POST", path, headers=headers, body=body)

    status, _headers, answer = post(*_multipart("verslag.pdf", pdf_bytes("Verslag")))
    assert status == 201, answer
    assert json.loads(answer)["name"] == "verslag.pdf"

    # a body of exactly client_max_body_size passes nginx: the platform answers, with its own
    # limit for one file
    status, _headers, answer = post(*_multipart("groot.pdf", b"%PDF-1.4\n", total=BODY_LIMIT))
    assert status == 400, answer
    assert json.loads(answer)["error"] == "Een bestand mag hoogstens 10 MB zijn."

    status, headers, answer = post(*_multipart("te-groot.pdf", b"%PDF-1.4\n", total=BODY_LIMIT + 1))
    assert status == 413
    assert headers["Content-Type"].startswith("text/html")
    page = answer.decode()
    assert '<html lang="nl">' in page
    assert '<h1 class="utrecht-heading-1">Bestand te groot</h1>' in page
    assert "hoogstens 10 MB" in page
    assert '<link rel="stylesheet" href="/static/css/site.css">' in page

    assert [item.name for item in Attachment.objects.all()] == ["verslag.pdf"]


async def _idle_socket(topology, cookie: str) -> list[dict]:
    answers = []
    async with connect(
        f"ws://{HOST}/ws/",
        host="127.0.0.1",
        port=topology.port,
        additional_headers={
            "Cookie": f"sessionid={cookie}",
            "Origin": ORIGIN,
            "X-Forwarded-Proto": "https",
        },
        ping_interval=None,  # the client sends nothing; daphne's pings are answered
    ) as socket:
        for pause in [0, WEBSOCKET_TIMEOUT + 2]:
            await asyncio.sleep(pause)
            await socket.send(json.dumps({"type": "ping", "ref": f"after {pause} s"}))
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
                if frame["type"] == "pong":
                    answers.append(frame)
                    break
    return answers


@with_data
def test_a_websocket_is_upgraded_and_outlives_nginx_read_timeout_while_idle(
    topology, production_keys
):
    cookie = session_cookie(ProfessionalFactory().user)
    started = time.monotonic()
    answers = asyncio.run(_idle_socket(topology, cookie))
    assert [frame["ref"] for frame in answers] == ["after 0 s", f"after {WEBSOCKET_TIMEOUT + 2} s"]
    assert time.monotonic() - started > WEBSOCKET_TIMEOUT + 2
    (line,) = access_log_lines(topology, "/ws/", at_least=1)
    assert '"GET /ws/ HTTP/1.1" 101 ' in line


@with_data
def test_the_access_log_records_the_client_address_a_trusted_proxy_forwards(
    topology, production_keys
):
    world = build_world()
    cookie = strong_client(world.member).cookies["sessionid"].value
    path = f"/cases/{world.room.pk}/"

    def read_from(source: str, forwarded_for: str) -> AccessLogEntry:
        status, _headers, body = request(
            topology, "GET", path, source=source,
            headers={"Cookie": f"sessionid={cookie}", "X-Forwarded-For": forwarded_for},
        )  # fmt: skip
        assert status == 200, body[:500]
        return AccessLogEntry.objects.filter(
            user_id_ref=world.member.pk, object_type="case_message", action="read"
        ).latest("pk")

    # from the terminator (set_real_ip_from 127.0.0.1): the client it names
    assert read_from("127.0.0.1", "203.0.113.7").ip_address == "203.0.113.7"
    # through a chain of proxies, the address the trusted one saw
    assert read_from("127.0.0.1", "198.51.100.9, 203.0.113.8").ip_address == "203.0.113.8"
    # from anywhere else the header counts for nothing: the address nginx saw
    assert read_from("127.0.0.2", "203.0.113.9").ip_address == "127.0.0.2"
    lines = access_log_lines(topology, path, at_least=3)
    addresses = [line.split(" ", 1)[0] for line in lines]
    assert addresses[-3:] == ["203.0.113.7", "203.0.113.8", "127.0.0.2"]


@pytest.mark.browser
def test_a_browser_sending_too_much_sees_the_413_page_styled_and_accessible(topology, browser_page):
    page = browser_page
    base = f"http://127.0.0.1:{topology.port}"
    page.goto(f"{base}/static/css/site.css")  # any address of the site, for a form to post from
    page.set_content(
        '<form method="post" enctype="multipart/form-data" action="/channels/1/upload/">'
        '<input type="file" name="file"></form>'
    )
    with page.expect_navigation() as navigation:
        # a file of client_max_body_size, made in the page: with the form around it, too much
        page.evaluate(
            """(size) => {
                const files = new DataTransfer();
                files.items.add(new File([new Uint8Array(size)], "scan.pdf",
                                         {type: "application/pdf"}));
                document.querySelector("input[type=file]").files = files.files;
                document.querySelector("form").submit();
            }""",
            BODY_LIMIT,
        )
    assert navigation.value.status == 413
    assert page.title() == "Bestand te groot · Wijkplatform"
    assert page.locator("h1").inner_text() == "Bestand te groot"
    assert page.evaluate("document.documentElement.lang") == "nl"
    # the platform's stylesheets, from /static/ under their unhashed names
    loaded = page.evaluate(
        "[...document.styleSheets].map(sheet => [sheet.href, sheet.cssRules.length])"
    )
    assert [href.removeprefix(base) for href, _rules in loaded] == [
        "/static/vendor/utrecht/components.css",
        "/static/css/theme.css",
        "/static/css/site.css",
    ]
    assert all(rules > 0 for _href, rules in loaded)
    assert axe_violations(page) == []


@pytest.mark.browser
@with_data
def test_the_chat_says_which_limit_a_file_broke_when_nginx_refuses_it(
    topology, production_keys, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    owner = ProfessionalFactory().user
    channel = channel_services.create_channel(by=owner, kind="closed", name="Uploads")
    cookie = session_cookie(owner)
    with sync_playwright() as playwright:
        # the site's name leads to nginx
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1:{topology.port}"],
        )
        try:
            context = browser.new_context()
            # what the terminator adds to pages and requests; not to the socket, whose origin
            # is the page's own (http:// here), nor to the upload, which nginx answers itself
            context.route(
                lambda url: url.startswith(f"http://{HOST}/") and not url.endswith("/upload/"),
                lambda route: route.continue_(
                    headers={**route.request.headers, "x-forwarded-proto": "https"}
                ),
            )
            context.add_cookies([{"name": "sessionid", "value": cookie, "url": f"http://{HOST}/"}])
            page = context.new_page()
            open_room(page, f"http://{HOST}/channels/{channel.pk}/")
            # a file larger than nginx takes, made in the page and chosen in the composer
            page.evaluate(
                """(size) => {
                    const picker = document.querySelector(".wijk-composer input[type=file]");
                    const files = new DataTransfer();
                    files.items.add(new File([new Uint8Array(size)], "scan.pdf",
                                             {type: "application/pdf"}));
                    picker.files = files.files;
                    picker.dispatchEvent(new Event("change", {bubbles: true}));
                }""",
                BODY_LIMIT,
            )
            tray = page.get_by_role("list", name="Bestanden bij dit bericht")
            expect(tray).to_contain_text("scan.pdf")
            expect(tray).to_contain_text("Een bestand mag hoogstens 10 MB zijn.", timeout=20_000)
        finally:
            browser.close()
    assert Attachment.objects.count() == 0
