"""The installable app: the web app manifest, the service worker's script and the offline page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from http import HTTPStatus

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image

from config import webapp
from tests.servers import ROOT

pytestmark = pytest.mark.django_db

HASHED = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")


@pytest.fixture(autouse=True)
def _fresh_shell() -> Iterator[None]:
    # The shell is computed once per process; these tests change the static files under it.
    webapp._cached_shell.cache_clear()
    yield
    webapp._cached_shell.cache_clear()


def precache_of(response) -> dict:
    """The configuration the service worker's script was rendered with."""
    script = response.content.decode()
    found = re.search(r"^const SHELL = (\{.*?\});$", script, re.S | re.M)
    assert found, script
    return json.loads(found.group(1))


def test_the_manifest_describes_the_installable_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Wijkplatform"
    assert manifest["short_name"] == "Wijk"
    assert manifest["lang"] == "nl"
    assert manifest["id"] == "/"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    theme = (ROOT / "static/css/theme.css").read_text()
    assert f"--wijk-color-primary: {manifest['theme_color']};" in theme
    assert f"--wijk-color-background: {manifest['background_color']};" in theme


def test_the_manifest_follows_the_deployment_s_name(client, settings):
    settings.SITE_NAME = "Wijkplatform Parkstad"
    assert client.get("/manifest.webmanifest").json()["name"] == "Wijkplatform Parkstad"


def test_the_manifest_s_icons_exist_in_the_sizes_it_states(client):
    icons = client.get("/manifest.webmanifest").json()["icons"]
    purposes = set()
    for icon in icons:
        assert icon["type"] == "image/png"
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert isinstance(path, str), icon["src"]
        width, height = (int(side) for side in icon["sizes"].split("x"))
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size == (width, height), icon["src"]
        purposes.add((icon["sizes"], icon["purpose"]))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes


def test_a_maskable_icon_fills_its_square(client):
    icons = client.get("/manifest.webmanifest").json()["icons"]
    maskable = next(icon for icon in icons if icon["purpose"] == "maskable")
    with Image.open(finders.find(maskable["src"].removeprefix("/static/"))) as image:
        # Android cuts the icon to its own shape: no transparent corner may show.
        assert image.convert("RGBA").getpixel((0, 0))[3] == 255


def test_every_page_links_the_manifest(client):
    html = client.get(reverse("account_login")).content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert 'data-service-worker="/sw.js"' in html


def test_the_service_worker_is_served_for_the_whole_site_and_never_from_a_cache(client):
    response = client.get("/sw.js")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"


def test_the_service_worker_keeps_the_offline_page_and_public_static_files_only(client, colleague):
    client.force_login(colleague)
    shell = precache_of(client.get("/sw.js"))
    assert shell["offline"] == "/offline/"
    assert shell["precache"][0] == "/offline/"
    files = shell["precache"][1:]
    assert all(url.startswith("/static/") for url in files), files
    for needed in ["css/site.css", "css/theme.css", "js/app.js", "js/offline.js"]:
        assert f"/static/{needed}" in files
    assert "/static/vendor/utrecht/components.css" in files
    assert "/static/vendor/utrecht/component-library.css" not in files  # the source of the subset
    assert "/static/img/app-icon-512.png" in files
    # the accessibility tests' script is no part of the app
    assert not any("axe" in url for url in files)
    assert shell["cache"].startswith(shell["prefix"])


def test_a_signed_in_person_gets_the_same_worker_as_anyone(client, colleague):
    anonymous = client.get("/sw.js").content
    client.force_login(colleague)
    assert client.get("/sw.js").content == anonymous


def test_with_collected_static_files_the_worker_keeps_hashed_names(client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    files = precache_of(client.get("/sw.js"))["precache"][1:]
    assert files
    for url in files:
        assert HASHED.search(url), url
        assert (tmp_path / url.removeprefix("/static/")).exists(), url
    # the offline page links the same hashed files, so it finds them in the worker's cache
    offline = client.get("/offline/").content.decode()
    for link in re.findall(r'(?:href|src)="(/static/[^"]+)"', offline):
        assert link in files, link


def test_a_changed_static_file_makes_a_new_worker(client, settings, tmp_path):
    (tmp_path / "css").mkdir()
    extra = tmp_path / "css" / "region.css"
    extra.write_text(".wijk-theme { --wijk-color-primary: #1a5b78; }")
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, tmp_path]
    first = precache_of(client.get("/sw.js"))
    assert "/static/css/region.css" in first["precache"]

    webapp._cached_shell.cache_clear()
    extra.write_text(".wijk-theme { --wijk-color-primary: #12455c; }")
    second = precache_of(client.get("/sw.js"))
    assert second["precache"] == first["precache"]
    assert second["cache"] != first["cache"]


def test_the_offline_page_is_dutch_and_holds_nothing_of_the_session(colleague):
    client = Client()
    client.force_login(colleague)
    response = client.get("/offline/")
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert '<html lang="nl"' in html
    assert "Je bent offline" in html
    assert "Opnieuw proberen" in html
    assert colleague.display_name not in html
    assert colleague.email not in html
    assert "csrfmiddlewaretoken" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
