"""conversations/, messages/, read/, notifications/ for integrators and the site's own scripts."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import User
from messaging import selectors, services
from messaging.models import MAX_GROUP_PARTICIPANTS, Conversation
from messaging.notifications import payload as notification_payload
from messaging.services import message_payload

# Output


class MessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    conversation = serializers.IntegerField()
    sender = serializers.IntegerField(allow_null=True, help_text="null when the sender takes part under an alias (and is not you).")
    sender_name = serializers.CharField(help_text="The sender's name, or their alias.")
    sender_alias = serializers.CharField(help_text="The alias this message was sent under; empty for none.")
    body = serializers.CharField()
    body_html = serializers.CharField()
    client_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted = serializers.BooleanField()

    def to_representation(self, instance):
        request = self.context.get("request")
        return message_payload(instance, viewer_id=request.user.pk if request else None)


class PersonOutput(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="null for a side under an alias.")
    name = serializers.CharField(help_text="The person's name, or the side's alias.")
    alias = serializers.BooleanField()


class ConversationOutput(serializers.ModelSerializer):
    participants = serializers.SerializerMethodField()
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = ["id", "kind", "title", "created_by", "created_at", "last_message_at", "last_message_id", "participants", "unread"]

    @extend_schema_field(PersonOutput(many=True))
    def get_participants(self, conversation) -> list[dict]:
        people = getattr(conversation, "people", None)
        if people is None:
            people = selectors.with_people([conversation], viewer=self.context["request"].user)[0].people
        return [{"id": p.pk, "name": p.name, "alias": bool(p.alias)} for p in people]

    def get_unread(self, conversation) -> int:
        return getattr(conversation, "unread", 0)


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    url = serializers.CharField()
    actor = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()

    def to_representation(self, instance):
        return notification_payload(instance)


# Input


class ConversationInput(serializers.Serializer):
    participants = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=MAX_GROUP_PARTICIPANTS)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True)


class MessageInput(serializers.Serializer):
    body = serializers.CharField(max_length=20_000, trim_whitespace=False)
    client_id = serializers.UUIDField()


class MessageEditInput(serializers.Serializer):
    body = serializers.CharField(max_length=20_000, trim_whitespace=False)


class ReadInput(serializers.Serializer):
    up_to = serializers.IntegerField(min_value=0)


class NotificationsReadInput(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=500)


# Views


class ConversationListCreateApi(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ConversationOutput

    def get_queryset(self):
        return selectors.inbox(user=self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        people = selectors.with_people(page, viewer=request.user)
        return self.get_paginated_response(ConversationOutput(people, many=True, context={"request": request}).data)

    @extend_schema(request=ConversationInput, responses={200: ConversationOutput, 201: ConversationOutput})
    def post(self, request):
        data = ConversationInput(data=request.data)
        data.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(data.validated_data["participants"]))
        people = list(User.objects.filter(pk__in=ids, is_active=True))
        if len(people) != len(ids):
            raise ValidationError({"participants": ["Unknown or inactive user ids."]})
        conversation, created = services.conversation_start(
            actor=request.user, participants=people, title=data.validated_data.get("title", "")
        )
        conversation = selectors.inbox(user=request.user).get(pk=conversation.pk)
        return Response(ConversationOutput(conversation, context={"request": request}).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ConversationDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ConversationOutput)
    def get(self, request, conversation_id):
        conversation = get_object_or_404(selectors.inbox(user=request.user), pk=conversation_id)
        return Response(ConversationOutput(conversation, context={"request": request}).data)


class MessageListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, description="Messages after this id, oldest first (0: from the start)."),
            OpenApiParameter("before", OpenApiTypes.INT, description="The page of history just before this id."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most 100 (default 50)."),
        ],
        responses=inline_serializer(
            "MessagePage",
            {"results": MessageOutput(many=True), "has_more": serializers.BooleanField()},
        ),
    )
    def get(self, request, conversation_id):
        params = request.query_params
        try:
            limit = min(max(int(params.get("limit", 50)), 1), 100)
            after = int(params["after"]) if "after" in params else None
            before = int(params["before"]) if "before" in params else None
        except ValueError:
            raise ValidationError({"detail": "after, before and limit are whole numbers."}) from None
        if after is not None:
            messages, has_more = selectors.messages_after(user=request.user, conversation_id=conversation_id, after=after, limit=limit)
        else:
            messages, has_more = selectors.messages_before(user=request.user, conversation_id=conversation_id, before=before, limit=limit)
        return Response({"results": [message_payload(m, viewer_id=request.user.pk) for m in messages], "has_more": has_more})

    @extend_schema(request=MessageInput, responses={200: MessageOutput, 201: MessageOutput})
    def post(self, request, conversation_id):
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        message, created = services.message_send(
            actor=request.user,
            conversation_id=conversation_id,
            body=data.validated_data["body"],
            client_id=data.validated_data["client_id"],
        )
        return Response(message_payload(message, viewer_id=request.user.pk), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class MessageDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=MessageEditInput, responses=MessageOutput)
    def patch(self, request, conversation_id, message_id):
        selectors.conversation_get_visible(user=request.user, conversation_id=conversation_id)
        data = MessageEditInput(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_edit(actor=request.user, message_id=self._in(conversation_id, message_id), body=data.validated_data["body"])
        return Response(message_payload(message, viewer_id=request.user.pk))

    @extend_schema(responses=MessageOutput)
    def delete(self, request, conversation_id, message_id):
        selectors.conversation_get_visible(user=request.user, conversation_id=conversation_id)
        message = services.message_delete(actor=request.user, message_id=self._in(conversation_id, message_id))
        return Response(message_payload(message, viewer_id=request.user.pk))

    def _in(self, conversation_id, message_id) -> int:
        get_object_or_404(selectors.messages_visible(user=self.request.user, conversation_id=conversation_id), pk=message_id)
        return message_id


class ReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReadInput, responses=inline_serializer("ReadMark", {"up_to": serializers.IntegerField()}))
    def post(self, request, conversation_id):
        data = ReadInput(data=request.data)
        data.is_valid(raise_exception=True)
        mark = services.conversation_mark_read(actor=request.user, conversation_id=conversation_id, up_to=data.validated_data["up_to"])
        return Response({"up_to": mark})


class MessageSearchApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("q", OpenApiTypes.STR, required=True)], responses=MessageOutput(many=True))
    def get(self, request):
        q = request.query_params.get("q", "")[:200]
        results = selectors.message_search(user=request.user, q=q)
        return Response({"results": [message_payload(m, viewer_id=request.user.pk) for m in results]})


class NotificationListApi(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = NotificationOutput

    def get_queryset(self):
        qs = selectors.notifications_visible(user=self.request.user)
        if self.request.query_params.get("unread") in {"1", "true"}:
            qs = qs.filter(read_at__isnull=True)
        return qs


class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=NotificationsReadInput, responses=inline_serializer("NotificationsRead", {"marked": serializers.IntegerField(), "unread": serializers.IntegerField()}))
    def post(self, request):
        data = NotificationsReadInput(data=request.data)
        data.is_valid(raise_exception=True)
        marked = services.notifications_mark_read(actor=request.user, ids=data.validated_data.get("ids"))
        return Response({"marked": marked, "unread": selectors.notifications_unread_count(user=request.user)})



class CountsApi(APIView):
    """The navigation badges: unread messages and unread notifications."""

    permission_classes = [IsAuthenticated]
    throttle_classes: list = []

    @extend_schema(responses=inline_serializer("Counts", {"messages": serializers.IntegerField(), "notifications": serializers.IntegerField()}))
    def get(self, request):
        return Response(
            {
                "messages": selectors.unread_total(user=request.user),
                "notifications": selectors.notifications_unread_count(user=request.user),
            }
        )
