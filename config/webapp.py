"""The installable web app: its manifest, its service worker and the offline page.

The service worker keeps the application shell (``SHELL_FILES`` and the offline page) in the
browser's cache and nothing else: no page but the offline page, no API answer, no upload, no
socket. Everything the worker may cache is public and the same for everyone.
"""

from __future__ import annotations

import hashlib
import json
from fnmatch import fnmatchcase
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from config.context_processors import site

#: The static files the offline page and every page's frame need, kept by the service worker.
#: (Not the accessibility tests' axe-core under vendor/axe-core.)
SHELL_FILES = (
    "vendor/utrecht/components.css",
    "css/*.css",
    "js/*.js",
    "img/*.svg",
    "img/*.png",
    "img/icons/*.svg",
)
#: Colours of static/css/theme.css: ``--wijk-color-primary`` (the bar above an installed app)
#: and ``--wijk-color-background`` (the screen while it starts).
THEME_COLOR = "#1a5b78"
BACKGROUND_COLOR = "#f5f6f7"
ICONS = (
    ("img/app-icon-192.png", "192x192", "any"),
    ("img/app-icon-512.png", "512x512", "any"),
    ("img/app-icon-maskable-512.png", "512x512", "maskable"),
)
#: The service worker's caches are named with this prefix and the shell's version.
CACHE_PREFIX = "wijk-shell-"


def shell_files() -> list[str]:
    """The names (relative to ``STATIC_URL``) of the shell's static files, sorted."""
    names = {settings.THEME_STYLESHEET} if settings.THEME_STYLESHEET else set()
    for finder in finders.get_finders():
        for path, _storage in finder.list([]):
            name = path.replace("\\", "/")
            if any(fnmatchcase(name, pattern) for pattern in SHELL_FILES):
                names.add(name)
    return sorted(names)


def _shell() -> tuple[str, list[str]]:
    """The shell's version and the URLs to precache.

    The version is a hash of every file's URL (with DEBUG off a hashed name from the static
    files manifest) and content, and of the offline page in each language: a release that
    changes any of them serves a new worker script, which replaces the old worker and its cache.
    """
    digest = hashlib.sha256()
    urls = []
    for name in shell_files():
        url = staticfiles_storage.url(name)
        urls.append(url)
        digest.update(url.encode())
        found = finders.find(name)
        if isinstance(found, str):
            with open(found, "rb") as file:
                digest.update(hashlib.sha256(file.read()).digest())
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            digest.update(_render_offline().encode())
    return digest.hexdigest()[:16], urls


# Computed once per process; with DEBUG on the files change while the server runs.
_cached_shell = cache(_shell)


def shell() -> tuple[str, list[str]]:
    return _shell() if settings.DEBUG else _cached_shell()


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest, in the request's language."""
    language = translation.get_language()
    data = {
        "id": "/",
        "name": settings.SITE_NAME,
        "short_name": pgettext("name under the installed app's icon", "Neighbourhood"),
        "description": _(
            "Work together with the professionals in your neighbourhood: directory, "
            "channels, knowledge and case rooms."
        ),
        "lang": language,
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {
                "src": staticfiles_storage.url(name),
                "sizes": sizes,
                "type": "image/png",
                "purpose": purpose,
            }
            for name, sizes, purpose in ICONS
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker's script, at the site's root so that its scope is the whole site.

    Never cached by HTTP: the browser compares it byte for byte to find a new release.
    """
    version, urls = shell()
    offline = reverse("offline")
    config = {
        "cache": CACHE_PREFIX + version,
        "prefix": CACHE_PREFIX,
        "offline": offline,
        "precache": [offline, *urls],
        "static": settings.STATIC_URL,
        # shown beside a push notification
        "icon": staticfiles_storage.url(ICONS[0][0]),
    }
    script = loader.render_to_string(
        "webapp/service_worker.js", {"config": json.dumps(config, indent=2)}
    )
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


def _render_offline() -> str:
    # Without the request: no session, user or token in a page that the browser keeps.
    return loader.render_to_string("webapp/offline.html", site(HttpRequest()))


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """The page the service worker shows for a page that could not be loaded."""
    response = HttpResponse(_render_offline())
    response["Cache-Control"] = "no-cache"
    return response
