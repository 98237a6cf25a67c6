"""Fixtures shared by the whole suite.

Every test runs on PostgreSQL (the embedded server unless DATABASE_URL names one). Tests that
need another service (Redis, Chromium, the server programs for the fault tests, nginx) skip with a
reason when it is missing, except for the services REQUIRE_SERVICES names (CI): then a skip is
a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Iterator
from functools import partial

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from tests.e2e import BROWSER_TIME_ZONE
from tests.factories import ProfessionalFactory, UserFactory
from tests.push_service import PushService

pytest_plugins = [
    "tests.directory.fixtures",
    "tests.channels_app.fixtures",
    "tests.knowledge.fixtures",
    "tests.privacy.fixtures",
]

#: the markers of tests that need a service this machine may lack (settings.REQUIRE_SERVICES)
SERVICE_MARKERS = frozenset({"redis", "browser", "faults", "nginx", "pdf"})
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config: pytest.Config) -> None:
    # Fast hashing: the suite creates many users. Live servers fork and inherit this.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _require(service: str, available: bool, reason: str) -> None:
    if available:
        return
    if service in settings.REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("redis"):
        _require("redis", bool(settings.REDIS_URL), "needs Redis: set REDIS_URL=redis://...")
    if item.get_closest_marker("faults"):
        from tests.faults.services import postgres_bin

        _require(
            "faults",
            postgres_bin() is not None and shutil.which("redis-server") is not None,
            "needs the PostgreSQL and Redis server programs (apt-get install postgresql "
            "redis-server)",
        )
    if item.get_closest_marker("nginx"):
        from tests.topology.nginx import nginx_program

        _require("nginx", nginx_program() is not None, "needs nginx (apt-get install nginx)")
    if item.get_closest_marker("pdf"):
        _require(
            "pdf",
            _weasyprint_loads(),
            "needs Pango for WeasyPrint (apt-get install libpango-1.0-0 libpangoft2-1.0-0)",
        )
    if item.get_closest_marker("browser"):
        _require(
            "browser",
            os.path.exists(CHROMIUM) and shutil.which("chromium") is not None,
            f"needs Chromium at {CHROMIUM} (apt-get install chromium)",
        )


def _weasyprint_loads() -> bool:
    try:
        import weasyprint  # noqa: F401  (loads Pango)
    except OSError:
        return False
    return True


def _may_skip(item: pytest.Item) -> bool:
    """Whether a skip of ``item`` is allowed: it needs a service that need not be there."""
    needs = {marker.name for marker in item.iter_markers()} & SERVICE_MARKERS
    return bool(needs - settings.REQUIRE_SERVICES)


#: the lines tests asked to show at the end of the run (``shown``), in the order they came
_SHOWN: list[str] = []


@pytest.fixture
def shown(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Shows a line at the end of the run, also when the test passes: the fault, backup and
    upgrade tests show what they counted, so that a reader sees that nothing was lost. The line
    travels in the test's report, so it shows also when the suite runs in several processes."""

    def show(line: str) -> None:
        request.node.user_properties.append(("shown", line))

    return show


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _SHOWN.extend(str(value) for key, value in report.user_properties if key == "shown")


def pytest_terminal_summary(terminalreporter) -> None:
    if _SHOWN:
        terminalreporter.section("what the fault, backup and upgrade tests counted")
        for line in _SHOWN:
            terminalreporter.write_line(line)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if settings.REQUIRE_SERVICES and report.skipped and not _may_skip(item):
        # In CI nothing may be skipped, whatever asked for the skip, but a test whose service
        # the run does not require.
        report.outcome = "failed"
        report.longrepr = f"skipped while REQUIRE_SERVICES is set: {report.longrepr}"


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    # Rate limits and used TOTP codes live in the cache, which may be a shared Redis.
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A test that activates a language (a request, a command, an override left open) must not
    # leave it to the next one: every test starts in the deployment's language.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    # A Redis layer binds its locks and pools to the event loop that first used it; every
    # test (and every forked live server) gets its own loop, so each starts with a new layer.
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def password() -> str:
    return "Correct-horse-battery-9"


@pytest.fixture
def user(db, password):
    return UserFactory(password=password)


@pytest.fixture
def colleague(db, password):
    """A verified professional: may use the directory, channels and case rooms."""
    return ProfessionalFactory(user__password=password).user


@pytest.fixture
def admin_user(db, password):
    return UserFactory(password=password, roles=["platform_admin", "professional"])


@pytest.fixture
def live_asgi_server(transactional_db, settings) -> Iterator[str]:
    """Daphne serving the project's ASGI application (HTTP and websockets) in a child process."""
    from channels.testing.live import make_application
    from daphne.testing import DaphneProcess
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.db import connection

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1", "localhost"]
    # The child is forked: it must not inherit the parent's pooled database sockets, nor an
    # event loop closed by an earlier async test (daphne's reactor would run on it).
    _close_pools()
    asyncio.set_event_loop(asyncio.new_event_loop())
    process = DaphneProcess(
        "127.0.0.1",
        partial(make_application, static_wrapper=ASGIStaticFilesHandler),
        setup=partial(_prepare_child, connection.settings_dict["NAME"]),
    )
    process.start()
    if not process.ready.wait(30):
        process.terminate()
        raise RuntimeError("daphne did not start")
    try:
        yield f"127.0.0.1:{process.port.value}"
    finally:
        process.terminate()
        # Daphne gives open sockets' consumers up to 10 s to end after SIGTERM; a test server's
        # are of no more use: a server still busy after 2 s is killed (it must not outlive its
        # test either: the suite would wait for it at exit, multiprocessing joins its children).
        process.join(2)
        if process.is_alive():
            process.kill()
            process.join(10)


@pytest.fixture
def browser_page(monkeypatch):
    """A Chromium page driven by Playwright's sync API.

    Playwright's sync API keeps an event loop running in this thread, which makes Django refuse
    ORM calls; the ORM set-up in these tests runs before or between browser steps.
    """
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, timezone_id=BROWSER_TIME_ZONE
        )
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()


def _prepare_child(database_name: str) -> None:
    """Runs first in the forked live server."""
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import SyncToAsync

    # The test database is already in use here; the child connects to the same one.
    settings.DATABASES["default"]["NAME"] = database_name
    # A fork keeps asgiref's executor objects but not their worker threads: without fresh
    # ones every sync_to_async call in the child would wait forever.
    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)


def _close_pools() -> None:
    from django.db import connections

    for connection in connections.all():
        if hasattr(connection, "close_pool"):
            connection.close_pool()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Close PostgreSQL's connection pool before the test database is dropped.

    A pool leaves connections that are checked out open; the browser tests' ORM calls under
    Playwright's greenlets keep one that no code closes. Its session is ended so that the test
    database can be dropped.
    """
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        _close_pools()
        with connection._nodb_cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [connection.settings_dict["NAME"]],
            )


@pytest.fixture
def push_service(settings) -> Iterator[PushService]:
    """A Web Push service on 127.0.0.1 (tests/push_service.py) that the platform may send to.

    Ask for it before ``live_asgi_server`` (or a fixture using it), so that the forked server
    has it in its ``PUSH_SERVICES`` too.
    """
    from config import local_secrets
    from tests.push_service import push_service as start

    settings.VAPID_PRIVATE_KEY = local_secrets.vapid_key()
    settings.VAPID_PUBLIC_KEY = local_secrets.vapid_public_key(settings.VAPID_PRIVATE_KEY)
    with start(settings.VAPID_PUBLIC_KEY) as service:
        settings.PUSH_SERVICES = [service.origin]
        yield service
