"""Start daphne as the Docker image and `make dev` do (``python -m config.daphne``; DEBUG is on
by default here) and fetch a page and a static file. For `make run`: config/test_make_run.py.
"""

from __future__ import annotations

import pytest

from tests.servers import daphne, fetch, free_port


@pytest.mark.django_db(transaction=True)
def test_daphne_serves_the_login_page_and_static_files():
    with daphne(free_port()) as base:
        status, headers, body = fetch(f"{base}/accounts/login/")
        html = body.decode()
        assert status == 200
        assert '<html lang="nl"' in html
        assert "Inloggen" in html
        assert "Content-Security-Policy" in headers
        status, headers, css = fetch(f"{base}/static/css/site.css")
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")
        assert len(css) > 100
