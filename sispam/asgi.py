"""ASGI entry point: HTTP through Django, WebSocket through Channels (authenticated)."""

import os

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sispam.settings")


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler running the (all sync) middleware chain and the view in one hop.

    Django builds an async chain under ASGI; with only sync middleware and sync views that
    means the request crosses from the event loop to a worker thread, back to the loop for the
    inner handler, and to the thread again for the view. Built as WSGI builds it, the whole
    chain runs in the request's thread in one go (still one thread per request, as Django's
    ThreadSensitiveContext gives it).
    """

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)


django.setup(set_prefix=False)
django_asgi_app = SyncChainASGIHandler()

# Imported after Django is set up: the routing imports consumers that import models.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from core.uploads import BodyLimitASGI  # noqa: E402
from core.websocket import ExactOriginValidator  # noqa: E402
from sispam.embedded_beat import BeatLifespan  # noqa: E402
from sispam.routing import websocket_urlpatterns  # noqa: E402

# The lifespan starts the beat schedule in this process when Celery is eager (no worker).
application = BeatLifespan(
    ProtocolTypeRouter(
        {
            # A body over REQUEST_MAX_BYTES is refused before Django reads (and spools) it.
            "http": BodyLimitASGI(django_asgi_app),
            # Only from the exact origins the app serves (scheme, host and port).
            "websocket": ExactOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        }
    )
)
