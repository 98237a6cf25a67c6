"""Typed readers for configuration taken from the environment.

Each helper returns the default when the variable is unset (or empty) and raises
``ImproperlyConfigured`` with the variable's name when the value cannot be understood, so a
typo in production fails at start-up instead of silently running on a default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    return default if value is None else value


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(
    name: str,
    default: int,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: int | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None:
        result = default
    else:
        try:
            result = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and result < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {result}.")
    return result


def env_list(
    name: str, default: list[str] | None = None, environ: Mapping[str, str] | None = None
) -> list[str]:
    value = _raw(name, environ)
    if value is None:
        return list(default or [])
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name} is a comma-separated list without empty items.")
    return items


def env_subset(
    name: str, choices: set[str], environ: Mapping[str, str] | None = None
) -> frozenset[str]:
    """Some of ``choices``: all of them for a true value ("1"), none for a false one or when
    unset, else the comma-separated names given."""
    value = _raw(name, environ)
    if value is None or value.lower() in _FALSE:
        return frozenset()
    if value.lower() in _TRUE:
        return frozenset(choices)
    chosen = frozenset(env_list(name, environ=environ))
    if not chosen <= choices:
        raise ImproperlyConfigured(
            f"{name} must be true, false or some of {', '.join(sorted(choices))}, not {value!r}."
        )
    return chosen


def env_choice(
    name: str, choices: list[str], default: str, environ: Mapping[str, str] | None = None
) -> str:
    value = _raw(name, environ)
    if value is None:
        return default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def env_url(
    name: str,
    schemes: set[str],
    environ: Mapping[str, str] | None = None,
    *,
    bare: frozenset[str] = frozenset(),
) -> str | None:
    """Return the URL in ``name`` if its scheme is one of ``schemes``; None when unset.

    Schemes in ``bare`` need nothing after them (``console:`` or ``console://``).
    """
    value = _raw(name, environ)
    if value is None:
        return None
    scheme, _colon, rest = value.partition(":")
    if scheme in bare and rest in ("", "//"):
        return f"{scheme}://"
    if scheme not in schemes or not rest.startswith("//") or len(rest) == 2:
        raise ImproperlyConfigured(
            f"{name} must be a URL starting with one of "
            f"{', '.join(sorted(s + '://' for s in schemes | bare))}, not {value!r}."
        )
    return value


def env_urls(
    name: str,
    schemes: set[str],
    default: list[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """A comma-separated list of URLs in ``name``, each with one of ``schemes`` and none twice;
    ``default`` when unset."""
    if _raw(name, environ) is None:
        return list(default or [])
    urls = env_list(name, environ=environ)
    for url in urls:
        scheme, _colon, rest = url.partition(":")
        if scheme not in schemes or not rest.startswith("//") or len(rest) == 2:
            raise ImproperlyConfigured(
                f"{name} must be a comma-separated list of URLs starting with one of "
                f"{', '.join(sorted(s + '://' for s in schemes))}, not {url!r}."
            )
    if len(set(urls)) < len(urls):
        raise ImproperlyConfigured(f"{name} names the same URL twice.")
    return urls


#: the URL schemes redis-py connects to
REDIS_SCHEMES = {"redis", "rediss", "unix"}


def env_redis_url(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """A Redis URL (``redis://``, ``rediss://``, ``unix://``) with a valid database number."""
    url = env_url(name, REDIS_SCHEMES, environ)
    if url is not None:
        _check_database(name, url)
    return url


def env_redis_urls(
    name: str, default: list[str], environ: Mapping[str, str] | None = None
) -> list[str]:
    """Several Redis URLs, comma-separated (as ``env_redis_url``); ``default`` when unset."""
    urls = env_urls(name, REDIS_SCHEMES, default, environ)
    for url in urls:
        _check_database(name, url)
    return urls


def _check_database(name: str, url: str) -> None:
    try:
        redis_database(url)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}: {url!r} must name its database as a number (redis://host:port/N)."
        ) from None


def redis_database(url: str) -> int:
    """The database number a Redis URL names: ``redis://host:port/N`` or ``unix://path?db=N``
    (0 when it names none)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        number = parse_qs(parts.query).get("db", ["0"])[0]
    else:
        number = parts.path.strip("/") or "0"
    return int(number)
