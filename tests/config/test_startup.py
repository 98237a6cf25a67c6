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


def test_the_asgi_application_freezes_once_it_is_built():
    # a process of its own, as daphne starts one
    script = "import gc, config.asgi; print(gc.get_freeze_count())"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(result.stdout.strip().splitlines()[-1]) > 10_000
