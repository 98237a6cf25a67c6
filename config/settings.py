"""Django settings for Wijkplatform.

Everything that differs between a laptop and production comes from environment variables read
by the typed helpers in ``config.env``. With nothing set the platform runs on embedded defaults
(an embedded PostgreSQL server whose data lives in the checkout, in-memory channel layer,
console e-mail, DEBUG on). The database is always PostgreSQL: ``DATABASE_URL`` names one (15 or
newer), or else the embedded server runs; SQLite is not supported.
"""

from __future__ import annotations

import base64
import hashlib
from email.utils import parseaddr
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config import local_secrets
from config.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_redis_url,
    env_redis_urls,
    env_str,
    env_subset,
    env_url,
    redis_database,
)
from config.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)
# Browsers reach the site over HTTPS (in production through a TLS terminator and nginx): secure
# cookies, HTTP redirected, HSTS. Off only to serve over plain HTTP on one's own machine
# (``make run``), and by default with DEBUG on.
HTTPS = env_bool("HTTPS", default=not DEBUG)

# ``make run`` and ``make dev`` only: the secrets that production sets in the environment, and
# that DEBUG off requires, are generated once into this directory (.data/secrets/) and read from
# there when the environment does not set them (config.local_secrets).
if env_str("LOCAL_SECRETS_DIR"):
    local_secrets.provide(BASE_DIR / env_str("LOCAL_SECRETS_DIR"))

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SITE_NAME = env_str("SITE_NAME", "Wijkplatform")
# The address people reach the platform at. Links in e-mails and calendar files are built on it
# (core.links.absolute_url), also when no request is there to take the host from: management
# commands, after-commit hooks. `check --deploy` warns when it is not an https address.
SITE_URL = (env_url("SITE_URL", {"http", "https"}) or "http://127.0.0.1:8000").rstrip("/")
# A region's own design tokens: a stylesheet path under static/, loaded after the default theme.
THEME_STYLESHEET = env_str("THEME_STYLESHEET")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django.contrib.postgres",
    "servestatic",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "core",
    "accounts",
    "directory",
    "channels_app",
    "knowledge",
    "privacy",
    "insights",
    "demo",
    "backup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # the URL pattern's name for the request time in /metrics (config.monitoring)
    "config.monitoring.RouteNameMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "channels_app.context_processors.notifications",
            ],
        },
    },
]

FORM_RENDERER = "core.forms.FormRenderer"
FORMS_URLFIELD_ASSUME_HTTPS = True

# --- Database -------------------------------------------------------------------------------
# PostgreSQL only, in development, tests and production alike: one search, one set of triggers.
DATABASE_URL = env_url("DATABASE_URL", {"postgres", "postgresql"})
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
else:
    # The embedded server (core.embedded_database): data in .data/postgres, a Unix socket, started
    # by the first connection a process makes.
    DATABASES = {
        "default": {
            "ENGINE": "core.embedded_database",
            "NAME": "wijkplatform",
            "USER": "postgres",
        }
    }
# A pool instead of persistent per-thread connections: under ASGI every sync_to_async thread
# would otherwise keep its own connection open.
DATABASES["default"]["CONN_MAX_AGE"] = 0
# directory.search matches names with pg_trgm's %> operator, which compares with this session
# setting; keep it equal to directory.search.NAME_SIMILARITY. The platform's tables fit in
# memory, where a page read at random costs about what the next one does: with the server's
# default random_page_cost (4, for spinning disks) the planner reads every profile rather than
# the thousands a broad directory search finds through its index.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    "-c pg_trgm.word_similarity_threshold=0.45"
    f" -c random_page_cost={float(env_str('DATABASE_RANDOM_PAGE_COST', '1.1'))}"
)
DATABASES["default"]["OPTIONS"]["pool"] = {
    "min_size": env_int("DATABASE_POOL_MIN", 2, minimum=1),
    "max_size": env_int("DATABASE_POOL_MAX", 20, minimum=1),
    "timeout": 10,
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL text-search configuration for stemming; the platform's content is Dutch.
SEARCH_CONFIG = env_str("SEARCH_CONFIG", "dutch")

# --- Redis: channel layer and cache ------------------------------------------------------------
#: one Redis for everything: the channel layer and the cache (rate limits, rights versions)
REDIS_URL = env_redis_url("REDIS_URL")
#: the channel layer's Redis servers, comma-separated (default: REDIS_URL): each channel and group
#: lives on one of them, chosen by a hash of its name. Every process must list the same servers
#: in the same order.
#: (With several servers, channels_redis 4.3's standard layer puts a direct ``send`` to one
#: process's channel on another server than the one that process reads, about half the time:
#: the platform only ever sends to groups, which both layers spread correctly.)
REDIS_LAYER_URLS = env_redis_urls("REDIS_LAYER_URLS", [REDIS_URL] if REDIS_URL else [])
#: the cache's Redis (default: REDIS_URL), which may be another server than the layer's
REDIS_CACHE_URL = env_redis_url("REDIS_CACHE_URL") or REDIS_URL
if bool(REDIS_LAYER_URLS) != bool(REDIS_CACHE_URL):
    # processes that share a channel layer must share the cache too (a user's rights version
    # tells every process's sockets that the rights changed), and the other way round
    raise ImproperlyConfigured(
        "REDIS_LAYER_URLS and REDIS_CACHE_URL go together: set both, or REDIS_URL for both."
    )
#: "redis-pubsub": one Redis publish per event and group, which each process hands to its own
#: sockets in the group; "redis": channels_redis' standard layer, which stores a copy of every
#: group event for every socket in the group in Redis. The pub/sub layer is the default: with
#: it one channel delivers 20 messages/s to 500 members on two cores, where the standard layer
#: falls seconds behind above 10 (docs/BENCHMARKS.md, "Fan-out"), and a process's groups live
#: in its own subscriptions, which Redis cannot expire or lose while the process runs.
CHANNEL_LAYER = env_choice("CHANNEL_LAYER", ["redis-pubsub", "redis"], "redis-pubsub")
if REDIS_LAYER_URLS and CHANNEL_LAYER == "redis-pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {"address": url, "socket_connect_timeout": 5} for url in REDIS_LAYER_URLS
                ],
                # Redis' publish channels are shared by all its databases: without the numbers
                # in their names, two installations on one Redis server (a test and a
                # production one, or two test runs) would hear each other's rooms. With
                # several servers, one number per server in their order (``asgi-db0-3``).
                "prefix": "asgi-db" + "-".join(str(redis_database(u)) for u in REDIS_LAYER_URLS),
            },
        }
    }
elif REDIS_LAYER_URLS:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": url,
                        # The layer's blocking read waits 5 s; redis-py 8's default socket
                        # timeout of 5 s would cut idle consumers off with code 1011.
                        "socket_timeout": None,
                        "socket_connect_timeout": 5,
                        # Room for bursts of connects and disconnects (group_add/discard).
                        "max_connections": env_int("REDIS_MAX_CONNECTIONS", 1000, minimum=10),
                    }
                    for url in REDIS_LAYER_URLS
                ],
                # Events beyond this many waiting for one process are dropped; clients
                # recover them with ``sync``.
                "capacity": env_int("CHANNEL_LAYER_CAPACITY", 1500, minimum=1),
                "expiry": 60,
                # A socket's membership of a group lasts this long; each process joins its
                # sockets' groups again well before (core.layerwatch).
                "group_expiry": env_int("CHANNEL_LAYER_GROUP_EXPIRY", 86400, minimum=10),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
if REDIS_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.SharedRedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": "wijk",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Confirming one's identity again (case rooms ask for it) takes the password or the second
# factor; not a code sent by e-mail, which proves only access to the mailbox.
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
# allauth's defaults, written out so nobody switches them off by accident.
ACCOUNT_RATE_LIMITS = {
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# TOTP keys and recovery-code seeds are stored encrypted (accounts.mfa) with Fernet keys from the
# environment, never from the database. The first key encrypts, all decrypt (rotation). Required
# with DEBUG off; in development a key derived from SECRET_KEY stands in, so changing SECRET_KEY
# there makes existing development authenticators unusable.
MFA_ADAPTER = "accounts.mfa.MFAAdapter"
MFA_ENCRYPTION_KEYS = env_list("MFA_ENCRYPTION_KEYS")
if not MFA_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("MFA_ENCRYPTION_KEYS must be set when DEBUG is off.")
    MFA_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(
            hashlib.sha256(f"wijkplatform-mfa:{SECRET_KEY}".encode()).digest()
        ).decode()
    ]
for _key in MFA_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "MFA_ENCRYPTION_KEYS must be Fernet keys: 32 bytes in URL-safe base64, comma-separated."
        ) from None
# The access log's entries, its chain and its checkpoints are signed with HMAC-SHA256 under keys
# from the environment, never from the database (privacy.audit): whoever can write the database
# but lacks the key cannot rewrite the log so that it verifies. Comma-separated, newest first,
# each "id:secret" or a bare secret (its id is then a fingerprint of it); the first signs, all
# verify. Required with DEBUG off; in development a key derived from SECRET_KEY stands in.
ACCESS_LOG_KEYS: dict[str, str] = {}
for _item in env_list("ACCESS_LOG_KEYS"):
    _key_id, _sep, _secret = _item.strip().partition(":")
    if not _sep:
        _key_id, _secret = "k" + hashlib.sha256(_key_id.encode()).hexdigest()[:8], _key_id
    if len(_secret) < 32 or not _key_id.replace("-", "").replace("_", "").isalnum():
        raise ImproperlyConfigured(
            "ACCESS_LOG_KEYS must be comma-separated secrets of at least 32 characters, each "
            'optionally preceded by an id of letters, digits, "-" or "_" and a colon.'
        )
    if len(_key_id) > 20 or _key_id in ACCESS_LOG_KEYS:
        raise ImproperlyConfigured("ACCESS_LOG_KEYS ids must be unique and at most 20 characters.")
    ACCESS_LOG_KEYS[_key_id] = _secret
if not ACCESS_LOG_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("ACCESS_LOG_KEYS must be set when DEBUG is off.")
    ACCESS_LOG_KEYS = {
        "dev": hashlib.sha256(f"wijkplatform-access-log:{SECRET_KEY}".encode()).hexdigest()
    }
# Checkpoints of the log's chain head, outside the database: an append-only file (by default
# .data/access-log/<database name>.jsonl in the checkout) and the application log. Written by
# ``manage.py checkpoint_access_log`` (cron, hourly) and every purge; the web processes also
# write one when the last is older than ACCESS_LOG_CHECKPOINT_MINUTES (0: never).
ACCESS_LOG_CHECKPOINT_FILE = env_str("ACCESS_LOG_CHECKPOINT_FILE")
ACCESS_LOG_CHECKPOINT_MINUTES = env_int(
    "ACCESS_LOG_CHECKPOINT_MINUTES", 0 if DEBUG else 60, minimum=0
)
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7, minimum=1)

# Django's database sessions, remembering the expiry of the row they load (core/sessions.py)
SESSION_ENGINE = "core.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12, minimum=300)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Privacy --------------------------------------------------------------------------------
CASE_RETENTION_DAYS = env_int("CASE_RETENTION_DAYS", 365 * 2, minimum=1)
# NEN 7513 asks for at least five years.
ACCESS_LOG_RETENTION_DAYS = env_int("ACCESS_LOG_RETENTION_DAYS", 365 * 5 + 1, minimum=365 * 5 + 1)
# Case rooms ask for a sign-in (password, two-factor code or re-authentication) this recent.
CASE_REAUTHENTICATION_SECONDS = env_int("CASE_REAUTHENTICATION_HOURS", 12, minimum=1) * 3600

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_URL = env_url(
    "EMAIL_URL",
    {"smtp", "smtps", "smtp+tls"},
    bare=frozenset({"console", "locmem"}),
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@wijkplatform.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_URL is None or EMAIL_URL.startswith("console://"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif EMAIL_URL.startswith("locmem://"):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
else:
    from urllib.parse import unquote, urlsplit

    _email = urlsplit(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or (465 if _email.scheme == "smtps" else 587)
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_SSL = _email.scheme == "smtps"
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
    EMAIL_TIMEOUT = 15

# --- Push notifications (Web Push) ---------------------------------------------------------
# The server's VAPID key pair (RFC 8292), which push services check on every push: the private
# key as its 32 bytes in URL-safe base64 (as `npx web-push generate-vapid-keys` prints it), the
# public key derived from it (VAPID_PUBLIC_KEY, if set, must match). Without a key pushes are
# off; in development a key derived from SECRET_KEY stands in, and `make run` generates one
# into .data/secrets/ (config/local_secrets.py).
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY")
if not VAPID_PRIVATE_KEY and DEBUG:
    VAPID_PRIVATE_KEY = local_secrets.vapid_key_from_seed(f"wijkplatform-vapid:{SECRET_KEY}")
VAPID_PUBLIC_KEY = local_secrets.vapid_public_key(VAPID_PRIVATE_KEY) if VAPID_PRIVATE_KEY else ""
if env_str("VAPID_PUBLIC_KEY") and env_str("VAPID_PUBLIC_KEY") != VAPID_PUBLIC_KEY:
    raise ImproperlyConfigured("VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY.")
# Whom a push service contacts about the pushes: a mailto: or https: address (by default the
# address the platform's e-mails come from).
VAPID_SUBJECT = env_str("VAPID_SUBJECT") or f"mailto:{parseaddr(DEFAULT_FROM_EMAIL)[1]}"
if not VAPID_SUBJECT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured("VAPID_SUBJECT must be a mailto: or https: address.")
# The push services a browser's subscription may point at (origins; * matches within a host):
# the server sends to nothing else.
PUSH_SERVICES = env_list("PUSH_SERVICES") or [
    "https://fcm.googleapis.com",
    "https://updates.push.services.mozilla.com",
    "https://*.push.services.mozilla.com",
    "https://web.push.apple.com",
    "https://*.notify.windows.com",
]
# A push the push service does not accept (5xx, 429, no answer) is tried again after
# PUSH_RETRY_SECONDS, then four times as long each time, PUSH_ATTEMPTS times in all.
PUSH_ATTEMPTS = env_int("PUSH_ATTEMPTS", 5, minimum=1)
PUSH_RETRY_SECONDS = env_int("PUSH_RETRY_SECONDS", 30, minimum=1)
# Background tasks (the pushes) are stored in PostgreSQL and run by `manage.py db_worker`
# (django-tasks with django-tasks-db): the `worker` service in docker-compose.yml. `make run`
# and `make dev` set TASK_WORKER_IN_PROCESS: the server runs them in a thread of its own
# (config.startup.start_task_worker).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TASK_WORKER_IN_PROCESS = env_bool("TASK_WORKER_IN_PROCESS", default=False)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LANGUAGE_CODE = env_choice("DEFAULT_LANGUAGE", ["nl", "en"], "nl")
LOCALE_PATHS = [BASE_DIR / "locale"]
# Named date formats per language (config/formats/nl/formats.py), used by every template.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "servestatic.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
SERVESTATIC_USE_FINDERS = DEBUG
SERVESTATIC_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# No MEDIA_URL route: uploaded files are only served through permission-checked views.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Security headers -----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: only for the TOTP QR code, which allauth renders as a data URI image
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # the service worker (/sw.js) and the web app manifest, both from the site itself
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# A failed CSRF check shows the platform's own 403 page, in the user's language.
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # /healthz is probed over plain HTTP from inside the deployment network
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# One JSON object a line (timestamp, level, logger, message, request_id) for the log collector,
# by default with DEBUG off; "text" to read them oneself (`make run` and `make dev` set it).
LOG_FORMAT = env_choice("LOG_FORMAT", ["json", "text"], "text" if DEBUG else "json")
LOGGING = logging_config(LOG_FORMAT, env_str("LOG_LEVEL", "INFO"))

# Prometheus: /metrics answers only with "Authorization: Bearer <METRICS_TOKEN>"; unset, it is
# not there (config.monitoring).
METRICS_TOKEN = env_str("METRICS_TOKEN")

# How often a server process passes Python's interpreter lock between its threads, in
# microseconds (config/asgi.py says why it is shorter than Python's 5,000).
SWITCH_INTERVAL_MICROSECONDS = env_int("SWITCH_INTERVAL_MICROSECONDS", 1_000, minimum=100)

# Messages per user: (count, seconds), counted in the shared cache across processes.
MESSAGE_RATE_LIMIT = (
    env_int("MESSAGE_RATE_LIMIT_COUNT", 20, minimum=1),
    env_int("MESSAGE_RATE_LIMIT_SECONDS", 10, minimum=1),
)

# Tests turn "needs a service" skips into failures for these services (CI): "1" (or "true") for
# every one, else a comma-separated list of the test markers that may not skip, e.g.
# "browser,faults"; "0" or unset for none.
REQUIRE_SERVICES = env_subset("REQUIRE_SERVICES", {"redis", "browser", "faults", "nginx", "pdf"})
