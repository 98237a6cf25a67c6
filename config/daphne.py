"""daphne as the platform runs it: ``python -m config.daphne [daphne's options] APPLICATION``.

Every server process starts this way (``make run``, ``make dev``, the Docker image, the tests):
it takes daphne's command-line options and differs from plain ``daphne`` in two things about
websocket frames, and writes its access log through ``logging`` (config.logs.AccessLog).

* daphne lets frames of up to 1 MiB through by default. The consumers refuse a frame over their
  own limit (``JsonFrameConsumer.max_frame_bytes``, 64 KiB) with a ``too_large`` error frame
  and the socket stays open; frames up to ``WEBSOCKET_MAX_BYTES`` reach them, so that a browser
  which sends a few megabytes by mistake gets that answer rather than a broken connection.
* Beyond that limit, and for a frame that breaks the protocol, autobahn drops the TCP connection
  by default: the browser sees 1006 (abnormal closure), indistinguishable from a network
  failure. Here it sends a close frame with the reason instead: 1009 (message too big), 1002
  (protocol error) or 1007 (invalid UTF-8).
"""

from __future__ import annotations

import sys
from typing import Any

# daphne.cli imports daphne.server first, which installs Twisted's asyncio reactor.
from daphne.access import AccessLogGenerator
from daphne.cli import CommandLineInterface as DaphneCommandLineInterface
from daphne.server import Server as DaphneServer

from config.logs import AccessLog

#: The transport's hard limit on one incoming websocket message (and frame), in bytes. Far above
#: the consumers' own limit, which answers with an error frame; autobahn holds a whole message
#: in memory before the consumer sees it, and only signed-in professionals get a socket.
#: autobahn also refuses to send a message larger than this.
WEBSOCKET_MAX_BYTES = 4 * 1024 * 1024


class Server(DaphneServer):
    """daphne's server, with websocket failures closed by a close frame that gives the code,
    and its access log in the server's log format (config.logs.AccessLog)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # daphne writes its access log to standard output by default (or to --access-log -):
        # there it goes through logging, as JSON in production, without query strings. A file
        # named with --access-log keeps daphne's own lines.
        logger = kwargs.get("action_logger")
        if isinstance(logger, AccessLogGenerator) and logger.stream is sys.stdout:
            kwargs["action_logger"] = AccessLog()
        super().__init__(*args, **kwargs)

    @property
    def ws_factory(self) -> Any:
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory: Any) -> None:
        # DaphneServer.run() builds its websocket factory here and then sets its own options on
        # it; failByDrop is not one of them, and there is no other hook before it serves.
        factory.setProtocolOptions(failByDrop=False)
        self._ws_factory = factory


class CommandLineInterface(DaphneCommandLineInterface):
    server_class = Server

    def __init__(self) -> None:
        super().__init__()
        # Defaults only: --websocket-max-message-size and --websocket-max-frame-size still win.
        self.parser.set_defaults(
            websocket_max_message_size=WEBSOCKET_MAX_BYTES,
            websocket_max_frame_size=WEBSOCKET_MAX_BYTES,
        )


if __name__ == "__main__":
    CommandLineInterface.entrypoint()
