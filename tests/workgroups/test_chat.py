"""A group's chat: its audience is exactly the active members, and removal bites at once.

Real parts: the ASGI application, the consumer, the channel layer (memory and
Redis), the services that change memberships.
"""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.messaging.realtime_helpers import (
    LAYERS,
    Socket,
    barrier_all,
    close_all,
    db,
    new_client_id,
    use_layer,
)
from tests.workgroups.helpers import ROLES, group_with_cast
from workgroups import services

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS = ("owner", "moderator", "member")


@pytest.fixture(params=LAYERS)
def layer(request, settings):
    yield from use_layer(request.param, settings)


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.mark.parametrize("visibility", ["public", "members", "secret"])
async def test_chat_events_reach_active_members_only(layer, visibility):
    cast = await db(group_with_cast, visibility)
    conversation = cast.workgroup.conversation_id
    sockets = {role: await Socket.open(cast[role], name=role) for role in ROLES}
    try:
        await sockets["member"].send({"type": "message.send", "conversation": conversation, "body": "Batch record template attached", "client_id": new_client_id()})
        await sockets["member"].expect("message.ack")
        for role in MEMBERS:
            frame = await sockets[role].expect("message.new")
            assert frame["message"]["body"] == "Batch record template attached"
        # Everyone else: nothing, proven by a marker through the same layer.
        await barrier_all(list(sockets.values()), ignore=("message.new", "notification.new", "message.ack"))
        for role in ("pending", "invited", "removed", "outsider"):
            await sockets[role].send({"type": "sync", "conversation": conversation, "after": 0})
            await sockets[role].expect_error("not_found")
            await sockets[role].send({"type": "message.send", "conversation": conversation, "body": "let me in", "client_id": new_client_id()})
            await sockets[role].expect_error("not_found")
    finally:
        await close_all(list(sockets.values()))

    def http_history():
        return {role: api(cast[role]).get(f"/api/v1/conversations/{conversation}/messages/?after=0").status_code for role in ROLES}

    statuses = await db(http_history)
    assert statuses == {role: (200 if role in MEMBERS else 404) for role in ROLES}


async def test_removal_stops_events_on_every_socket_at_once(layer):
    cast = await db(group_with_cast, "members")
    conversation = cast.workgroup.conversation_id
    tabs = [await Socket.open(cast.member, name="member tab 1"), await Socket.open(cast.member, via="token", name="member tab 2")]
    owner = await Socket.open(cast.owner, name="owner")
    try:
        await db(services.membership_remove, actor=cast.moderator, workgroup=cast.workgroup, user_id=cast.member.pk)
        for tab in tabs:
            await tab.expect("conversation.removed", conversation=conversation)
        await owner.send({"type": "message.send", "conversation": conversation, "body": "after the removal", "client_id": new_client_id()})
        await owner.expect("message.ack")
        await owner.expect("message.new")
        await barrier_all([*tabs, owner], ignore=("conversation.left", "notification.new"))
        await tabs[0].send({"type": "message.send", "conversation": conversation, "body": "still here?", "client_id": new_client_id()})
        await tabs[0].expect_error("not_found")
    finally:
        await close_all([*tabs, owner])
    assert await db(lambda: api(cast.member).get(f"/api/v1/conversations/{conversation}/messages/?after=0").status_code) == 404


async def test_approval_and_invitation_join_the_chat(layer):
    cast = await db(group_with_cast, "members")
    conversation = cast.workgroup.conversation_id
    await db(services.membership_approve, actor=cast.owner, workgroup=cast.workgroup, user_id=cast.pending.pk)
    await db(services.workgroup_join, actor=cast.invited, workgroup=cast.workgroup)
    newcomers = [await Socket.open(cast.pending, name="approved"), await Socket.open(cast.invited, name="accepted")]
    owner = await Socket.open(cast.owner, name="owner")
    try:
        await owner.send({"type": "message.send", "conversation": conversation, "body": "welcome", "client_id": new_client_id()})
        for socket in newcomers:
            frame = await socket.expect("message.new")
            assert frame["message"]["body"] == "welcome"
    finally:
        await close_all([*newcomers, owner])
