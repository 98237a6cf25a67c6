"""What a server process does once it has loaded the application, before it takes requests."""

from __future__ import annotations

import gc

from django.urls import get_resolver


def freeze_loaded_objects() -> None:
    """Keep the objects loaded at start out of the garbage collector's full collections.

    A process holds about 150,000 long-lived objects once Django, the apps, the URLconf and
    every view are imported; a full collection walked all of them (about 60 ms on the
    benchmark machine), stalling every request and socket of the process meanwhile. They live
    as long as the process, so they are moved to the collector's permanent generation
    (``gc.freeze``) and later collections only walk what requests and sockets create.
    """
    get_resolver().url_patterns  # noqa: B018 (imports the URLconf and with it every view)
    gc.collect()
    gc.freeze()
