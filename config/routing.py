from django.urls import path

from channels_app.consumers import PlatformConsumer

websocket_urlpatterns = [
    path("ws/", PlatformConsumer.as_asgi()),
]
