"""``make run`` as a new user starts it: DEBUG off, over plain HTTP on 127.0.0.1.

The commands and their environment are read from ``make -n run``, so these tests serve what the
Makefile serves. Three things differ, to leave the checkout alone: the test database, and the
generated secrets and collected static files in temporary directories.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.conf import global_settings

from tests.factories import ProfessionalFactory
from tests.servers import ROOT, fetch, free_port, serve

pytestmark = [pytest.mark.django_db(transaction=True)]

ASSIGNMENT = re.compile(r"[A-Z][A-Z0-9_]*=")
# what a new user's shell does not set; make reads its variables from the environment too
NOT_SET = {"HOST", "PORT", "ALLOWED_HOSTS", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}


@dataclass
class Step:
    """One command of ``make run``: the variables it sets and what it runs."""

    env: dict[str, str]
    argv: list[str]


def make_run_steps(port: int) -> list[Step]:
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", f"PORT={port}"],
        cwd=ROOT,
        env={name: value for name, value in os.environ.items() if name not in NOT_SET},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    steps = []
    for line in printed.splitlines():
        words = shlex.split(line)
        env = {}
        while words and ASSIGNMENT.match(words[0]):
            name, _equals, value = words.pop(0).partition("=")
            env[name] = value
        if words and words[0].endswith("/python"):
            words[0] = sys.executable  # the same virtual environment's interpreter
        steps.append(Step(env, words))
    return steps


def step_running(steps: list[Step], needle: str) -> Step:
    (step,) = [step for step in steps if needle in step.argv]
    return step


@pytest.fixture(scope="module")
def local_dirs(tmp_path_factory) -> dict[str, str]:
    """Where this module's ``make run`` keeps its secrets and collected static files."""
    base = tmp_path_factory.mktemp("make-run")
    return {"LOCAL_SECRETS_DIR": str(base / "secrets"), "STATIC_ROOT": str(base / "static")}


@pytest.fixture(scope="module")
def collected(local_dirs) -> dict[str, str]:
    """``make run``'s collectstatic step, run once for the module."""
    step = step_running(make_run_steps(8000), "collectstatic")
    environment = {**os.environ, **step.env, **local_dirs}
    subprocess.run(step.argv, cwd=ROOT, env=environment, check=True, timeout=120)
    return local_dirs


@pytest.fixture(scope="module")
def make_run(collected, django_db_setup, django_db_blocker):
    """The server ``make run`` starts, as (base URL, the environment make gave it); one for
    the module, on the test database."""
    port = free_port()
    step = step_running(make_run_steps(port), "config.daphne")
    with django_db_blocker.unblock(), serve(step.argv, port, **{**step.env, **collected}) as base:
        yield base, step.env


@pytest.fixture
def anna(settings, password):
    """A professional whose password the server can check: it has the default hashers, not
    the fast one of the test process."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    return ProfessionalFactory(user__password=password, user__display_name="Anna de Vries").user


def test_make_run_serves_with_debug_off_over_plain_http_to_this_machine_only(make_run):
    base, env = make_run
    assert env["DEBUG"] == "false"
    assert env["HTTPS"] == "false"
    port = base.rsplit(":", 1)[1]
    for host in ["127.0.0.1", "localhost"]:
        page = urllib.request.Request(f"{base}/accounts/login/", headers={"Host": f"{host}:{port}"})
        with urllib.request.urlopen(page, timeout=10) as response:
            assert response.status == 200, host  # not redirected to https://
    foreign = urllib.request.Request(f"{base}/accounts/login/", headers={"Host": "wijk.example"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(foreign, timeout=10)
    assert error.value.code == 400


def test_it_generates_its_secrets_once_in_files_only_the_owner_reads(make_run, local_dirs):
    secrets = Path(local_dirs["LOCAL_SECRETS_DIR"])
    for name in ["SECRET_KEY", "MFA_ENCRYPTION_KEYS"]:
        path = secrets / name
        assert len(path.read_text().strip()) >= 44, name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700


def test_an_unknown_address_shows_the_dutch_404_page_without_the_url_patterns(make_run):
    base, _env = make_run
    with pytest.raises(urllib.error.HTTPError) as error:
        fetch(f"{base}/bestaat-niet/")
    assert error.value.code == 404
    html = error.value.read().decode()
    assert '<html lang="nl"' in html
    assert "Pagina niet gevonden" in html
    assert "Wijkplatform" in html
    for internal in ["URLconf", "urlpatterns", "admin/", "Django", "DEBUG"]:
        assert internal not in html, internal


def test_static_files_are_served_under_their_hashed_names(make_run):
    base, _env = make_run
    _status, _headers, body = fetch(f"{base}/accounts/login/")
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', body.decode())
    assert stylesheet, "the page does not link the collected, hashed stylesheet"
    status, headers, css = fetch(f"{base}{stylesheet[1]}")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert "immutable" in headers["Cache-Control"]
    assert len(css) > 100


def test_one_signs_in_over_plain_http(make_run, anna, password):
    base, _env = make_run
    cookies = CookieJar()
    # follows redirects and, as a browser does, sends no cookie marked Secure over plain HTTP
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    with browser.open(f"{base}/accounts/login/", timeout=10) as response:
        form = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    login = urllib.request.Request(
        f"{base}/accounts/login/",
        data=urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "login": anna.email, "password": password}
        ).encode(),
        headers={"Origin": base, "Referer": f"{base}/accounts/login/"},
    )
    with browser.open(login, timeout=10) as response:
        home = response.read().decode()
        assert response.url == f"{base}/", home
    assert "Welkom, Anna" in home
    assert "sessionid" in {cookie.name for cookie in cookies}
    assert not [cookie.name for cookie in cookies if cookie.secure]


def test_a_form_without_its_csrf_token_gets_the_dutch_403_page(make_run):
    base, _env = make_run
    request = urllib.request.Request(f"{base}/accounts/login/", data=b"login=a&password=b")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 403
    html = error.value.read().decode()
    assert '<html lang="nl"' in html
    assert "Het formulier is verlopen" in html
    assert "CSRF" not in html


@pytest.mark.browser
def test_one_signs_in_with_a_browser(make_run, anna, browser_page, password):
    from playwright.sync_api import expect

    base, _env = make_run
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/accounts/login/?next=/")
    page.get_by_label("E-mailadres", exact=True).fill(anna.email)
    page.get_by_label("Wachtwoord", exact=True).fill(password)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom, Anna")
    assert errors == []
