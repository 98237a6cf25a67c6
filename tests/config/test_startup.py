"""A server process keeps what it loaded at start out of the collector's full collections."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from django.conf import settings

from config.startup import freeze_loaded_objects


def test_freezing_moves_the_loaded_objects_out_of_later_collections():
    gc.unfreeze()
    tracked_before = len(gc.get_objects())
    try:
        freeze_loaded_objects()
        assert gc.get_freeze_count() > 10_000
        assert len(gc.get_objects()) < tracked_before / 10
    finally:
        gc.unfreeze()


def _asgi_process(script: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **extra}
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_asgi_application_freezes_once_it_is_built():
    # a process of its own, as daphne starts one
    result = _asgi_process("import gc, config.asgi; print(gc.get_freeze_count())")
    assert int(result.stdout.strip().splitlines()[-1]) > 10_000


def test_the_asgi_application_passes_the_interpreter_lock_every_millisecond():
    script = "import sys, config.asgi; print(sys.getswitchinterval())"
    assert float(_asgi_process(script).stdout.strip().splitlines()[-1]) == 0.001
    other = _asgi_process(script, SWITCH_INTERVAL_MICROSECONDS="2500")
    assert float(other.stdout.strip().splitlines()[-1]) == 0.0025
    refused = _asgi_process(script, SWITCH_INTERVAL_MICROSECONDS="0")
    assert refused.returncode != 0
    assert "SWITCH_INTERVAL_MICROSECONDS must be at least 100" in refused.stderr
