"""What Daphne serves: HTTP through Django, and the WebSocket gateway at /ws/."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from messaging.auth import TokenAuthMiddleware  # noqa: E402
from messaging.routing import websocket_urlpatterns  # noqa: E402


def _close_oversized_messages_with_1009() -> None:
    """Daphne drops the TCP connection on a message over --websocket-max-message-size;
    with failByDrop off, autobahn sends the 1009 close frame DESIGN.md promises."""
    try:
        from daphne.ws_protocol import WebSocketFactory
    except ImportError:  # served by another ASGI server
        return
    if getattr(WebSocketFactory, "_closes_with_1009", False):
        return
    init = WebSocketFactory.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.setProtocolOptions(failByDrop=False)

    WebSocketFactory.__init__ = __init__
    WebSocketFactory._closes_with_1009 = True


_close_oversized_messages_with_1009()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
