"""What a server process does once it has loaded the application, before it takes requests."""

from __future__ import annotations

import gc
import logging
import threading

from django.conf import settings
from django.urls import get_resolver
from django.utils.crypto import get_random_string

logger = logging.getLogger(__name__)


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


def start_task_worker() -> threading.Thread | None:
    """With ``TASK_WORKER_IN_PROCESS`` (``make run``, ``make dev``): run the background tasks
    (push notifications) in a thread of this server process, as ``manage.py db_worker`` runs
    them in production (the ``worker`` service): one process to start on one's own machine.
    The tasks still run outside any request or socket, after the commit that queued them."""
    if not settings.TASK_WORKER_IN_PROCESS:
        return None
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )

    def run() -> None:
        try:
            worker.run()
        except Exception:  # the server goes on; the tasks wait in the database
            logger.exception("The in-process task worker stopped")

    thread = threading.Thread(target=run, name="task-worker", daemon=True)
    thread.start()
    return thread
