"""WebSocket routes. Each consumer checks the user's role itself, on connect."""

from django.urls import path

from incidents.consumers import AlertConsumer

websocket_urlpatterns = [
    path("ws/alerts/", AlertConsumer.as_asgi()),
]
