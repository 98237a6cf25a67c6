"""ASGI entry point: HTTP through Django, websockets through Channels.

Run with ``daphne config.asgi:application``.
"""

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Build the Django application first: it sets up the app registry the routing imports need.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.monitoring import MetricsMiddleware  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from config.startup import freeze_loaded_objects, start_task_worker  # noqa: E402
from core.origin import SameOriginValidator  # noqa: E402

# /metrics, each request's time and id, outside everything else (config.monitoring)
application = MetricsMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            # the whole Origin (scheme, host, port) must be the site's own or a trusted one
            "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)
freeze_loaded_objects()
start_task_worker()

# Python passes its interpreter lock between threads every 5 ms by default. daphne runs each
# request in a thread of its own beside the event loop that carries every socket, so under load
# a thread back from the database waited up to 5 ms for the lock at each query. At 1 ms the
# ceiling benchmark went from 2,000 to 2,500 healthy users on two cores, using less CPU
# (2,250 users: average 162 → 45 ms, machine 144% → 100%; docs/BENCHMARKS.md, "Ceiling").
sys.setswitchinterval(settings.SWITCH_INTERVAL_MICROSECONDS / 1_000_000)
