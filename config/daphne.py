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

And it stops the way a rolling restart needs (SIGTERM, as ``docker compose`` and the tests send
it): it stops listening at once, so that nginx sends new connections to the other processes;
closes every open websocket with 4503 (``core.protocol.CLOSE_RECONNECT``), so that browsers
reconnect on their spread schedule and sync, instead of finding out only when the process is
gone; and then gives the applications a few seconds before it exits. daphne itself kept
listening while it waited for every application, and under load did not exit within Docker's
10 s before SIGKILL (docs/BENCHMARKS.md, "Restart of one process").
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import logging
import os
import sys
import threading
import time
from typing import Any

# daphne.cli imports daphne.server first, which installs Twisted's asyncio reactor.
from daphne.access import AccessLogGenerator
from daphne.cli import CommandLineInterface as DaphneCommandLineInterface
from daphne.server import Server as DaphneServer
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import defer, reactor

from config.logs import AccessLog

#: The transport's hard limit on one incoming websocket message (and frame), in bytes. Far above
#: the consumers' own limit, which answers with an error frame; autobahn holds a whole message
#: in memory before the consumer sees it, and only signed-in professionals get a socket.
#: autobahn also refuses to send a message larger than this.
WEBSOCKET_MAX_BYTES = 4 * 1024 * 1024

#: On stopping: how long open websockets get to finish their closing handshake, and then how
#: long the applications get to end, before the process exits all the same.
CLOSE_SECONDS = 2.0
STOP_SECONDS = 5.0
#: After the reactor has stopped, how long the interpreter gets to end its threads before the
#: process ends regardless (with their stacks written to standard error)
EXIT_SECONDS = 2.0
#: core.protocol.CLOSE_RECONNECT (not imported: Django is not set up when this module loads)
CLOSE_RECONNECT = 4503

logger = logging.getLogger(__name__)


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

    def run(self) -> None:
        reactor.addSystemEventTrigger("after", "shutdown", _exit_soon)  # type: ignore[attr-defined]
        super().run()

    def listen_success(self, port: Any) -> None:
        self.ports = [*getattr(self, "ports", []), port]
        super().listen_success(port)

    def kill_all_applications(self) -> Any:
        """Before the reactor stops: stop listening, close the websockets, end the applications
        (the module's docstring says why); a Deferred the reactor waits for."""
        for port in getattr(self, "ports", []):
            port.stopListening()
        sockets = [
            protocol
            for protocol in self.connections
            if isinstance(protocol, WebSocketProtocol) and protocol.state == protocol.STATE_OPEN
        ]
        for protocol in sockets:
            protocol.serverClose(code=CLOSE_RECONNECT)
        logger.info("Stopping: closed %d websockets", len(sockets))
        closed: defer.Deferred[None] = defer.Deferred()
        deadline = time.monotonic() + CLOSE_SECONDS

        def wait_for_closes() -> None:
            if time.monotonic() >= deadline or all(
                protocol.state == protocol.STATE_CLOSED for protocol in sockets
            ):
                closed.callback(None)
            else:
                reactor.callLater(0.05, wait_for_closes)  # type: ignore[attr-defined]

        wait_for_closes()
        closed.addCallback(lambda _: super(Server, self).kill_all_applications())
        closed.addTimeout(CLOSE_SECONDS + STOP_SECONDS, reactor)
        closed.addErrback(
            lambda failure: logger.warning("Stopping: applications still running: %s", failure)
        )
        return closed

    @property
    def ws_factory(self) -> Any:
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory: Any) -> None:
        # DaphneServer.run() builds its websocket factory here and then sets its own options on
        # it; failByDrop is not one of them, and there is no other hook before it serves.
        factory.setProtocolOptions(failByDrop=False)
        self._ws_factory = factory


def _exit_soon() -> None:
    """The reactor has stopped: the process must end now, even if a thread still waits (a
    database call's thread is joined at exit); a stuck one is shown, not waited for."""

    def watch() -> None:
        time.sleep(EXIT_SECONDS)
        sys.stderr.write("Stopping: threads still running at exit; ending the process\n")
        faulthandler.dump_traceback(all_threads=True)
        # what the interpreter would run after joining the threads (the embedded database
        # server's bookkeeping of the processes using it, among others)
        with contextlib.suppress(Exception):
            atexit._run_exitfuncs()
        logging.shutdown()
        os._exit(0)

    threading.Thread(target=watch, name="exit-watch", daemon=True).start()


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
