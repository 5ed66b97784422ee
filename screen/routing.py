from django.urls import path

from .consumers import ScreenConsumer

websocket_urlpatterns = [
    path("ws/screen/", ScreenConsumer.as_asgi()),  # type: ignore[arg-type]  # an ASGI app, which Channels routes
]
