"""A server process that has stopped serving ends even if a thread still waits (a database call
the interpreter would join at exit for ever), shows that thread, and still runs its exit
functions (the embedded database's bookkeeping)."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.servers import ROOT

STUCK = """
import atexit, threading, time
import config.daphne as server
server.EXIT_SECONDS = 0.5
atexit.register(lambda: print("exit functions ran", flush=True))
def waits_for_ever():
    time.sleep(600)
threading.Thread(target=waits_for_ever).start()
server._exit_soon()
"""


def test_a_stopped_server_ends_within_seconds_despite_a_stuck_thread_and_shows_it():
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", STUCK], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert time.monotonic() - began < 30
    assert result.returncode == 0
    assert "exit functions ran" in result.stdout
    assert "threads still running at exit" in result.stderr
    assert "waits_for_ever" in result.stderr
