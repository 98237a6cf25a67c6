"""Full addresses on SITE_URL (core.links) and the deploy check that SITE_URL is set."""

from __future__ import annotations

import pytest

from core import checks
from core.links import absolute_url


def test_it_builds_the_address_on_site_url(settings):
    settings.SITE_URL = "https://wijk.example.nl"
    assert absolute_url("/knowledge/sessions/7/") == "https://wijk.example.nl/knowledge/sessions/7/"


def test_it_takes_only_a_path_from_the_root():
    with pytest.raises(ValueError, match="path from the site's root"):
        absolute_url("knowledge/sessions/7/")


@pytest.mark.parametrize(
    ("site_url", "warning"),
    [
        ("http://127.0.0.1:8000", "core.W001"),  # the default: not set
        ("http://localhost:8000", "core.W001"),
        ("http://wijk.example.nl", "core.W002"),
        ("https://wijk.example.nl", None),
    ],
)
def test_the_deploy_check_warns_unless_site_url_is_an_https_address(settings, site_url, warning):
    settings.SITE_URL = site_url
    found = [message.id for message in checks.check_site_url()]
    assert found == ([warning] if warning else [])
