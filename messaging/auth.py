"""WebSocket authentication by `Authorization: Token <key>`, beside the session cookie."""

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware


@database_sync_to_async
def _user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    return token.user


class TokenAuthMiddleware(BaseMiddleware):
    """Sets scope["user"] from a token header when the session did not sign anyone in.

    Sits inside AuthMiddlewareStack, so a browser's session wins and other
    clients need no cookie.
    """

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            headers = dict(scope.get("headers") or [])
            raw = headers.get(b"authorization", b"").decode("latin-1")
            keyword, _sep, key = raw.partition(" ")
            if keyword.lower() == "token" and key.strip():
                found = await _user_for_token(key.strip())
                if found is not None:
                    scope = dict(scope, user=found)
        return await super().__call__(scope, receive, send)
