from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

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
from tests.settings_check import run_check

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_when_unset_or_empty():
    assert env_bool("X", True, {}) is True
    assert env_bool("X", False, {"X": "  "}) is False
    assert env_int("X", 5, {}) == 5
    assert env_list("X", ["a"], {}) == ["a"]
    assert env_str("X", "d", {}) == "d"
    assert env_url("X", {"redis"}, {}) is None
    assert env_choice("X", ["nl", "en"], "nl", {}) == "nl"
    assert env_subset("X", {"a", "b"}, {}) == frozenset()


def test_values_are_parsed():
    assert env_bool("X", False, {"X": "Yes"}) is True
    assert env_bool("X", True, {"X": "off"}) is False
    assert env_int("X", 0, {"X": "42"}) == 42
    assert env_list("X", None, {"X": "a.example, b.example"}) == ["a.example", "b.example"]
    assert env_url("X", {"redis"}, {"X": "redis://h:6379/0"}) == "redis://h:6379/0"
    assert env_subset("X", {"a", "b"}, {"X": "1"}) == {"a", "b"}
    assert env_subset("X", {"a", "b"}, {"X": "false"}) == frozenset()
    assert env_subset("X", {"a", "b"}, {"X": "b"}) == {"b"}
    for bare in ["console:", "console://"]:
        assert env_url("X", {"smtp"}, {"X": bare}, bare=frozenset({"console"})) == "console://"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: env_bool("DEBUG", False, {"DEBUG": "maybe"}), "DEBUG must be true or false"),
        (lambda: env_int("N", 1, {"N": "12x"}), "N must be a whole number"),
        (lambda: env_int("N", 1, {"N": "3"}, minimum=5), "N must be at least 5"),
        (lambda: env_list("HOSTS", None, {"HOSTS": "a,,b"}), "HOSTS is a comma-separated"),
        (
            lambda: env_url("DATABASE_URL", {"postgres"}, {"DATABASE_URL": "mysql://x"}),
            "DATABASE_URL",
        ),
        (lambda: env_url("REDIS_URL", {"redis"}, {"REDIS_URL": "localhost:6379"}), "REDIS_URL"),
        (lambda: env_url("REDIS_URL", {"redis"}, {"REDIS_URL": "redis:"}), "REDIS_URL"),
        (lambda: env_url("EMAIL_URL", {"smtp"}, {"EMAIL_URL": "smtp://"}), "EMAIL_URL"),
        (lambda: env_choice("LANG", ["nl", "en"], "nl", {"LANG": "de"}), "LANG must be one of"),
        (lambda: env_subset("NEEDS", {"redis"}, {"NEEDS": "redis,x"}), "NEEDS must be true"),
    ],
)
def test_bad_values_raise(call, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        call()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "perhaps"}, "DEBUG must be true or false"),
        ({"DEBUG": "false", "ALLOWED_HOSTS": "x.example"}, "SECRET_KEY must be set"),
        ({"DEBUG": "false", "SECRET_KEY": "k" * 50}, "ALLOWED_HOSTS must be set"),
        ({"ACCESS_LOG_RETENTION_DAYS": "30"}, "ACCESS_LOG_RETENTION_DAYS must be at least"),
        ({"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL must be a URL"),
        ({"DEFAULT_LANGUAGE": "fr"}, "DEFAULT_LANGUAGE must be one of"),
        ({"CHANNEL_LAYER": "rabbitmq"}, "CHANNEL_LAYER must be one of"),
        ({"REDIS_LAYER_URLS": "redis://a:6379/0,b:6379"}, "REDIS_LAYER_URLS must be a comma"),
        ({"REDIS_URL": "redis://a:6379/0", "REDIS_CACHE_URL": "redis://b/x"}, "REDIS_CACHE_URL:"),
        ({"REDIS_URL": "", "REDIS_LAYER_URLS": "redis://a/0"}, "REDIS_LAYER_URLS and REDIS_CACHE"),
    ],
)
def test_the_platform_refuses_to_start_on_bad_settings(env, message):
    result = run_check(env)
    assert result.returncode != 0
    assert message in result.stderr


def _production(**extra: str) -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": "a-long-random-production-secret-key-" + "x7Qp2" * 10,
        "MFA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ACCESS_LOG_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "wijkplatform.example",
        "CSRF_TRUSTED_ORIGINS": "https://wijkplatform.example",
        **extra,
    }


def test_production_settings_pass_the_deploy_check():
    result = run_check(
        _production(SITE_URL="https://wijkplatform.example"), "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_warns_when_site_url_is_not_set():
    result = run_check(_production(), "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "core.W001" in result.stderr
    assert "SITE_URL is not set" in result.stderr


def test_a_bad_site_url_stops_the_platform():
    result = run_check({"SITE_URL": "wijkplatform.example"})
    assert result.returncode != 0
    assert "SITE_URL must be a URL" in result.stderr


@pytest.mark.parametrize(
    ("url", "number"),
    [
        ("redis://127.0.0.1:6379/6", 6),
        ("rediss://:secret@redis.example:6380/12", 12),
        ("redis://redis:6379", 0),
        ("unix:///run/redis.sock?db=3", 3),
        ("unix:///run/redis.sock", 0),
    ],
)
def test_the_redis_database_number_is_read_from_the_url(url, number):
    assert redis_database(url) == number


def test_the_pub_sub_layer_names_its_channels_after_the_redis_database():
    """Publish channels are shared by all of a Redis server's databases: two installations on
    one server must not hear each other's rooms."""
    program = "from django.conf import settings; print(settings.CHANNEL_LAYERS['default'])"
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/7", "CHANNEL_LAYER": "redis-pubsub",
           "DJANGO_SETTINGS_MODULE": "config.settings"}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {program}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "'prefix': 'asgi-db7'" in run.stdout
    assert "RedisPubSubChannelLayer" in run.stdout


def test_several_redis_urls_are_read_and_checked():
    two = "redis://a:6379/0, rediss://:secret@b.example:6380/3"
    assert env_redis_urls("U", [], {"U": two}) == [
        "redis://a:6379/0",
        "rediss://:secret@b.example:6380/3",
    ]
    assert env_redis_urls("U", ["redis://r:6379/1"], {}) == ["redis://r:6379/1"]
    assert env_redis_urls("U", [], {"U": "unix:///run/redis.sock?db=2"}) == [
        "unix:///run/redis.sock?db=2"
    ]
    assert env_redis_url("U", {"U": "redis://r:6379/5"}) == "redis://r:6379/5"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("redis://a:6379/0,http://b:6379/0", "U must be a comma-separated list of URLs"),
        ("redis://a:6379/0,,redis://b:6379/0", "U is a comma-separated list without empty"),
        ("redis://a:6379/0,redis://a:6379/0", "U names the same URL twice"),
        ("redis://a:6379/zero", "must name its database as a number"),
        ("unix:///run/redis.sock?db=x", "must name its database as a number"),
    ],
)
def test_bad_redis_urls_raise(value, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        env_redis_urls("U", [], {"U": value})


_SETTINGS_OF_EACH = """
import importlib, json, os, sys
for env in json.loads(sys.argv[1]):
    for name in [n for n in os.environ if n.startswith("REDIS_") or n == "CHANNEL_LAYER"]:
        del os.environ[name]
    os.environ.update(env)
    import config.settings
    s = importlib.reload(config.settings)
    print(json.dumps({"layer": s.CHANNEL_LAYERS["default"], "cache": s.CACHES["default"]}))
"""


def _redis_settings(*environments: dict[str, str]) -> list[dict]:
    """The channel layer's and the cache's settings in each environment (one process)."""
    run = subprocess.run(
        [sys.executable, "-c", _SETTINGS_OF_EACH, json.dumps(environments)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return [json.loads(line) for line in run.stdout.strip().splitlines()[-len(environments) :]]


def test_the_layer_spreads_over_several_redis_servers_and_the_cache_has_its_own():
    two = {
        "REDIS_LAYER_URLS": "redis://layer-a:6379/1,redis://layer-b:6379/2",
        "REDIS_CACHE_URL": "redis://cache:6379/0",
    }
    pubsub, standard = _redis_settings(
        {**two, "CHANNEL_LAYER": "redis-pubsub"}, {**two, "CHANNEL_LAYER": "redis"}
    )
    for found in (pubsub, standard):
        hosts = [host["address"] for host in found["layer"]["CONFIG"]["hosts"]]
        assert hosts == ["redis://layer-a:6379/1", "redis://layer-b:6379/2"]
        assert found["cache"]["LOCATION"] == "redis://cache:6379/0"
    assert pubsub["layer"]["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert standard["layer"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    # one database number per server, in their order
    assert pubsub["layer"]["CONFIG"]["prefix"] == "asgi-db1-2"


def test_redis_url_alone_serves_the_layer_and_the_cache():
    alone, moved, without = _redis_settings(
        {"REDIS_URL": "redis://r:6379/7"},
        # the cache may be moved off it alone
        {"REDIS_URL": "redis://r:6379/7", "REDIS_CACHE_URL": "redis://c/1"},
        {},
    )
    assert alone["layer"]["CONFIG"]["hosts"] == [
        {"address": "redis://r:6379/7", "socket_connect_timeout": 5}
    ]
    assert alone["layer"]["CONFIG"]["prefix"] == "asgi-db7"
    assert alone["cache"]["LOCATION"] == "redis://r:6379/7"
    assert moved["layer"]["CONFIG"]["prefix"] == "asgi-db7"
    assert moved["cache"]["LOCATION"] == "redis://c/1"
    assert without["layer"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert without["cache"]["BACKEND"].endswith("LocMemCache")
