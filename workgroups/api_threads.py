"""Discussions in the API: /api/v1/workgroups/<slug>/threads/ and their replies.

Views parse, call one service or selector, and answer. The same rules as the
pages: 404 for what the user may not see (a group whose content they may not
read, a thread of another group, a hidden thread for non-moderators, a deleted
one), 403 for what they see but may not do, 409 for a locked thread, 400 for
bad input; 401 when not signed in.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from workgroups import selectors, threads
from workgroups.models import Reply, Thread

# Output


class AuthorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class ThreadOutput(serializers.Serializer):
    """A discussion. `following`: whether the caller is notified of its replies."""

    id = serializers.IntegerField()
    workgroup = serializers.SerializerMethodField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="Markdown, as written.")
    body_html = serializers.CharField(help_text="The body rendered to sanitized HTML.")
    author = AuthorOutput(allow_null=True, help_text="Null once the author's account is gone.")
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    last_activity_at = serializers.DateTimeField(help_text="The last reply, or the creation.")
    reply_count = serializers.IntegerField(help_text="Replies neither deleted nor hidden.")
    pinned = serializers.BooleanField()
    locked = serializers.BooleanField(
        help_text="A locked thread takes replies from moderators only."
    )
    hidden = serializers.BooleanField(
        help_text="Hidden threads are shown to the group's moderators only."
    )
    following = serializers.BooleanField()
    url = serializers.SerializerMethodField(help_text="The thread's page on the site.")

    def get_workgroup(self, thread) -> str:
        return self.context["workgroup"].slug

    def get_url(self, thread) -> str:
        thread.workgroup = self.context["workgroup"]
        return self.context["request"].build_absolute_uri(threads.thread_url(thread))


class ReplyOutput(serializers.Serializer):
    """A reply. A deleted one keeps its place, with an empty body and `deleted` true."""

    id = serializers.IntegerField()
    thread = serializers.IntegerField(source="thread_id")
    author = AuthorOutput(allow_null=True)
    body = serializers.CharField()
    body_html = serializers.CharField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted = serializers.SerializerMethodField()
    hidden = serializers.BooleanField(
        help_text="Hidden replies are shown to the group's moderators only."
    )

    def get_deleted(self, reply) -> bool:
        return reply.deleted_at is not None


# Input


class ThreadInput(serializers.Serializer):
    title = serializers.CharField(min_length=threads.TITLE_MIN, max_length=threads.TITLE_MAX)
    body = serializers.CharField(max_length=threads.BODY_MAX, help_text="Markdown.")


class ThreadPatchInput(serializers.Serializer):
    """The author changes `title` and `body`; moderators change `pinned`, `locked` and `hidden`."""

    title = serializers.CharField(
        min_length=threads.TITLE_MIN, max_length=threads.TITLE_MAX, required=False
    )
    body = serializers.CharField(max_length=threads.BODY_MAX, required=False, help_text="Markdown.")
    pinned = serializers.BooleanField(required=False)
    locked = serializers.BooleanField(required=False)
    hidden = serializers.BooleanField(required=False)


class ReplyInput(serializers.Serializer):
    body = serializers.CharField(max_length=threads.BODY_MAX, help_text="Markdown.")


class ReplyPatchInput(serializers.Serializer):
    """The author changes `body`; moderators change `hidden`."""

    body = serializers.CharField(max_length=threads.BODY_MAX, required=False, help_text="Markdown.")
    hidden = serializers.BooleanField(required=False)


FollowOutput = inline_serializer("ThreadFollowing", {"following": serializers.BooleanField()})
REFUSALS = {
    403: OpenApiResponse(
        description="The caller sees this but may not do it (not a member, not the author, not a moderator)."
    ),
    404: OpenApiResponse(description="No such group or thread, or the caller may not see it."),
}


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    if not serializer.validated_data:
        raise ValidationError(
            {"detail": _("Send at least one of: %s.") % ", ".join(serializer_class().fields)}
        )
    return serializer.validated_data


class _GroupMixin:
    """The group (404 unless the caller reads its content) and the caller's rights in it, looked up once."""

    def workgroup(self):
        if not hasattr(self, "_workgroup"):
            self._workgroup = selectors.content_or_404(
                user=self.request.user, slug=self.kwargs["slug"]
            )
        return self._workgroup

    def access(self) -> threads.Access:
        if not hasattr(self, "_access"):
            self._access = threads.access_of(self.request.user, self.workgroup())
        return self._access

    def thread(self) -> Thread:
        return threads.thread_get_visible(
            user=self.request.user,
            workgroup=self.workgroup(),
            thread_id=self.kwargs["thread_id"],
            access=self.access(),
        )

    def context(self) -> dict:
        return {"request": self.request, "workgroup": self.workgroup()}

    def thread_output(self, thread_id) -> dict:
        thread = threads.thread_get_visible(
            user=self.request.user,
            workgroup=self.workgroup(),
            thread_id=thread_id,
            access=self.access(),
        )
        return ThreadOutput(thread, context=self.context()).data


# Views


class ThreadListCreateApi(_GroupMixin, ListAPIView):
    """The group's discussions the caller may read: pinned first, then by last activity."""

    serializer_class = ThreadOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Thread.objects.none()
        return threads.threads_visible(
            user=self.request.user, workgroup=self.workgroup(), access=self.access()
        )

    def get_serializer_context(self):
        return super().get_serializer_context() | {"workgroup": self.workgroup()}

    @extend_schema(responses={200: ThreadOutput(many=True), 404: REFUSALS[404]})
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(request=ThreadInput, responses={201: ThreadOutput, **REFUSALS})
    def post(self, request, slug):
        workgroup = self.workgroup()
        threads.check_can_post(actor=request.user, workgroup=workgroup, access=self.access())
        data = _validated(ThreadInput, request.data)
        thread = threads.thread_create(
            actor=request.user, workgroup=workgroup, title=data["title"], body=data["body"]
        )
        return Response(self.thread_output(thread.pk), status=status.HTTP_201_CREATED)


class ThreadDetailApi(_GroupMixin, APIView):
    @extend_schema(responses={200: ThreadOutput, 404: REFUSALS[404]})
    def get(self, request, slug, thread_id):
        return Response(ThreadOutput(self.thread(), context=self.context()).data)

    @extend_schema(
        request=ThreadPatchInput,
        responses={
            200: ThreadOutput,
            409: OpenApiResponse(description="The thread is locked."),
            **REFUSALS,
        },
    )
    def patch(self, request, slug, thread_id):
        thread = self.thread()
        data = _validated(ThreadPatchInput, request.data)
        edits = {k: data[k] for k in ("title", "body") if k in data}
        flags = {k: data[k] for k in ("pinned", "locked", "hidden") if k in data}
        # Both or neither: a refused moderation undoes the edit sent with it.
        with transaction.atomic():
            if edits:
                thread = threads.thread_edit(actor=request.user, thread=thread, **edits)
            if flags:
                thread = threads.thread_moderate(actor=request.user, thread=thread, **flags)
        return Response(self.thread_output(thread.pk))

    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(description="Others have replied: it can be hidden, not deleted."),
            **REFUSALS,
        }
    )
    def delete(self, request, slug, thread_id):
        threads.thread_delete(actor=request.user, thread=self.thread())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ThreadFollowApi(_GroupMixin, APIView):
    """Follow a thread (be notified of its replies) or stop following it."""

    @extend_schema(request=None, responses={200: FollowOutput, **REFUSALS})
    def post(self, request, slug, thread_id):
        threads.thread_follow(actor=request.user, thread=self.thread())
        return Response({"following": True})

    @extend_schema(request=None, responses={200: FollowOutput, 404: REFUSALS[404]})
    def delete(self, request, slug, thread_id):
        threads.thread_unfollow(actor=request.user, thread=self.thread())
        return Response({"following": False})


class ReplyListCreateApi(_GroupMixin, ListAPIView):
    """A thread's replies, oldest first; deleted ones keep their place."""

    serializer_class = ReplyOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Reply.objects.none()
        return threads.replies_visible(
            user=self.request.user, thread=self.thread(), access=self.access()
        )

    @extend_schema(responses={200: ReplyOutput(many=True), 404: REFUSALS[404]})
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=ReplyInput,
        responses={
            201: ReplyOutput,
            409: OpenApiResponse(description="The thread is locked."),
            **REFUSALS,
        },
    )
    def post(self, request, slug, thread_id):
        thread = self.thread()
        threads.check_can_reply(actor=request.user, thread=thread, access=self.access())
        data = _validated(ReplyInput, request.data)
        reply = threads.reply_create(actor=request.user, thread=thread, body=data["body"])
        return Response(ReplyOutput(reply).data, status=status.HTTP_201_CREATED)


class ReplyDetailApi(_GroupMixin, APIView):
    def reply(self) -> Reply:
        return threads.reply_get_visible(
            user=self.request.user,
            thread=self.thread(),
            reply_id=self.kwargs["reply_id"],
            access=self.access(),
        )

    @extend_schema(responses={200: ReplyOutput, 404: REFUSALS[404]})
    def get(self, request, slug, thread_id, reply_id):
        return Response(ReplyOutput(self.reply()).data)

    @extend_schema(
        request=ReplyPatchInput,
        responses={
            200: ReplyOutput,
            409: OpenApiResponse(description="The thread is locked or the reply deleted."),
            **REFUSALS,
        },
    )
    def patch(self, request, slug, thread_id, reply_id):
        reply = self.reply()
        data = _validated(ReplyPatchInput, request.data)
        with transaction.atomic():
            if "body" in data:
                reply = threads.reply_edit(actor=request.user, reply=reply, body=data["body"])
            if "hidden" in data:
                reply = threads.reply_hide(actor=request.user, reply=reply, hidden=data["hidden"])
        return Response(ReplyOutput(self.reply()).data)

    @extend_schema(responses={204: None, **REFUSALS})
    def delete(self, request, slug, thread_id, reply_id):
        threads.reply_delete(actor=request.user, reply=self.reply())
        return Response(status=status.HTTP_204_NO_CONTENT)
