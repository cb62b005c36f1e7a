"""WebSocket consumers: the command post's live alert feed."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.access import OPERATIONAL
from core.realtime import ALERTS_GROUP
from core.websocket import SessionBoundMixin, session_user_still_allowed


class AlertConsumer(SessionBoundMixin, AsyncJsonWebsocketConsumer):
    """/ws/alerts/: komando and intel only; everyone else is refused at the handshake, and an
    open socket is closed within WS_RECHECK_SECONDS of its session ending or its user losing
    the role (core.websocket.SessionBoundMixin)."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        session = self.scope.get("session")
        allowed = await database_sync_to_async(session_user_still_allowed)(
            session_key=getattr(session, "session_key", None),
            user_id=getattr(user, "pk", None),
            roles=OPERATIONAL,
        )
        if not allowed:
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(ALERTS_GROUP, self.channel_name)
        await self.accept()
        await self.session_watch_start(OPERATIONAL)

    async def dispatch(self, message: dict) -> None:
        # A push touches no database, so it skips what Channels does before every handler:
        # closing old database connections through a thread hop (a quarter of the server's CPU
        # when one event goes out to 200 screens). Everything else goes the usual way.
        if message.get("type") == "push.event":
            await self.push_event(message)
            return
        await super().dispatch(message)

    async def disconnect(self, code: int) -> None:
        self.session_watch_stop()
        await self.channel_layer.group_discard(ALERTS_GROUP, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        # The feed is one-way; a ping from the client gets a pong so it can watch the link.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def push_event(self, message: dict) -> None:
        # Encoded once by the sender (core.realtime), not once per connected screen.
        if "text" in message:
            await self.send(text_data=message["text"])
        else:
            await self.send_json(message["event"])
