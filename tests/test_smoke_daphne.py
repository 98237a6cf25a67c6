"""Start daphne as the Docker image and `make dev` do (``python -m config.daphne``; DEBUG is on
by default here) and fetch a page and a static file. For `make run`: config/test_make_run.py.

The same process writes its log as production does (``LOG_FORMAT=json``) and answers
``/metrics`` for a scraper with the token (tests/config/test_monitoring.py for the details).
"""

from __future__ import annotations

import json

import pytest

from tests.servers import daphne, fetch, free_port

TOKEN = "scrape-token-for-the-smoke-test"


@pytest.mark.django_db(transaction=True)
def test_daphne_serves_the_login_page_and_static_files_logs_json_and_answers_metrics():
    output: list[str] = []
    with daphne(free_port(), output, LOG_FORMAT="json", METRICS_TOKEN=TOKEN) as base:
        status, headers, body = fetch(f"{base}/accounts/login/?next=/directory/%3Fq%3DJansen")
        html = body.decode()
        assert status == 200
        assert '<html lang="nl"' in html
        assert "Inloggen" in html
        assert "Content-Security-Policy" in headers
        status, headers, css = fetch(f"{base}/static/css/site.css")
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")
        assert len(css) > 100
        status, _headers, metrics = fetch(f"{base}/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        login = 'method="GET",route="account_login",status="2xx"'
        assert f"wijk_http_request_duration_seconds_count{{{login}}} 1.0" in metrics.decode()
    lines = [json.loads(line) for line in output[0].splitlines() if line.strip()]
    assert lines, "the server logged nothing"
    assert all({"timestamp", "level", "logger", "message"} <= line.keys() for line in lines)
    (login_line,) = [
        line
        for line in lines
        if line["logger"] == "daphne.access" and line.get("path") == "/accounts/login/"
    ]
    assert login_line["method"] == "GET" and login_line["status"] == 200
    assert login_line["request_id"]
    assert "Jansen" not in output[0]  # daphne's own access log had the query string
