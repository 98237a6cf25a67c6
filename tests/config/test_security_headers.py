from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EXTERNAL = re.compile(r"""(?:src|href)=["'](?:https?:)?//""", re.I)


@pytest.mark.parametrize("name", ["account_login", "account_reset_password"])
def test_pages_carry_a_strict_content_security_policy(client, name):
    response = client.get(reverse(name))
    assert response.status_code == HTTPStatus.OK
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_signed_in_pages_have_no_inline_script_and_no_external_resources(client, colleague):
    client.force_login(colleague)
    for url in [
        reverse("home"),
        reverse("directory:index"),
        reverse("directory:index") + "?q=welzijn&sort=name",
        reverse("directory:profile_edit"),
        reverse("directory:social_map"),
        reverse("channels_app:index"),
        reverse("knowledge:index"),
        reverse("privacy:index"),
        reverse("mfa_index"),
    ]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert " style=" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url
        assert not EXTERNAL.search(html), url


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK
    assert response.content == b"ok"
