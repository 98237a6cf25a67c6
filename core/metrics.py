"""What a server process counts for Prometheus (served at ``/metrics`` by config.monitoring).

Each daphne process keeps its own numbers. No label carries a person, a room or an id: routes
by their name, rooms by their kind.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_SECONDS = Histogram(
    "wijk_http_request_duration_seconds",
    "Time from a request's arrival at the process until its answer was sent.",
    ["method", "route", "status"],
)
OPEN_SOCKETS = Gauge("wijk_websocket_connections", "Websockets open in this process.")
MESSAGES_POSTED = Counter("wijk_messages_posted", "Messages stored, by kind of room.", ["kind"])
LAYER_ERRORS = Counter(
    "wijk_channel_layer_errors",
    "Channel layer operations that failed: send (a broadcast), watch (the process's probe).",
    ["operation"],
)
LAYER_REPAIRS = Counter(
    "wijk_layer_repairs",
    "The layer lost this process's groups: rejoin (the sockets joined them again), "
    "close (that did not help: the sockets were closed so that their clients reconnect).",
    ["action"],
)

#: the kinds of room in ``wijk_messages_posted_total``
CHANNEL, DIRECT, CASE_ROOM = "channel", "direct", "case_room"
