from django.urls import path

from channels_app.consumers import PlatformConsumer
from privacy.consumers import CaseRoomConsumer

websocket_urlpatterns = [
    path("ws/", PlatformConsumer.as_asgi()),
    path("ws/cases/<int:room_id>/", CaseRoomConsumer.as_asgi()),
]
