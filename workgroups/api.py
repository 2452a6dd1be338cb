"""workgroups/: groups, joining, members and invitations (DESIGN.md's contract)."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import ListAPIView, ListCreateAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import Field, Organisation, User
from workgroups import permissions, selectors, services
from workgroups.models import Membership, Workgroup


class WorkgroupOutput(serializers.ModelSerializer):
    fields = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Workgroup
        fields = ["slug", "name", "description", "fields", "visibility", "join_policy", "member_count", "created_at", "last_activity_at", "url"]

    def get_url(self, workgroup) -> str:
        request = self.context.get("request")
        path = workgroup.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class WorkgroupDetailOutput(WorkgroupOutput):
    organisations = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    membership = serializers.SerializerMethodField()
    conversation = serializers.SerializerMethodField()

    class Meta(WorkgroupOutput.Meta):
        fields = [*WorkgroupOutput.Meta.fields, "organisations", "membership", "conversation"]

    def get_membership(self, workgroup) -> dict | None:
        membership = self.context.get("membership")
        return {"role": membership.role, "status": membership.status} if membership else None

    def get_conversation(self, workgroup) -> int | None:
        """The chat's conversation id, for active members only."""
        membership = self.context.get("membership")
        if membership and membership.status == Membership.Status.ACTIVE:
            return workgroup.conversation_id
        return None


class WorkgroupInput(serializers.Serializer):
    name = serializers.CharField(min_length=3, max_length=160)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=Workgroup.Visibility.choices, default=Workgroup.Visibility.MEMBERS)
    join_policy = serializers.ChoiceField(choices=Workgroup.JoinPolicy.choices, default=Workgroup.JoinPolicy.REQUEST)
    fields = serializers.SlugRelatedField(slug_field="slug", many=True, queryset=Field.objects.all(), required=False)
    organisations = serializers.SlugRelatedField(slug_field="slug", many=True, queryset=Organisation.objects.all(), required=False)

    def validate_organisations(self, organisations):
        user = self.context["request"].user
        mine = set(Organisation.objects.filter(memberships__user=user).values_list("pk", flat=True))
        if any(o.pk not in mine for o in organisations):
            raise ValidationError("You can only link organisations you belong to.")
        return organisations


class MemberOutput(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.__str__")

    class Meta:
        model = Membership
        fields = ["user", "name", "role", "status", "created_at"]


LIST_PARAMETERS = [
    OpenApiParameter("search", OpenApiTypes.STR, description="Words in the name, description or fields."),
    OpenApiParameter("field", OpenApiTypes.STR, description="Field slugs, repeated or comma-separated."),
    OpenApiParameter("mine", OpenApiTypes.BOOL, description="Only the groups I am an active member of."),
]


def _get(request, slug) -> Workgroup:
    return selectors.workgroup_get_visible(user=request.user, slug=slug)


class WorkgroupListCreateApi(ListCreateAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = WorkgroupOutput

    def get_queryset(self):
        params = self.request.query_params
        fields = [f for raw in params.getlist("field") for f in raw.split(",") if f][:20]
        if params.get("mine") in {"1", "true"}:
            qs = selectors.my_workgroups(user=self.request.user)
        else:
            qs = selectors.workgroup_list_visible(user=self.request.user, q=params.get("search", "")[:200], fields=fields)
        return selectors.workgroup_cards(qs.order_by("-last_activity_at", "pk"))

    @extend_schema(parameters=LIST_PARAMETERS)
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(request=WorkgroupInput, responses={201: WorkgroupDetailOutput})
    def post(self, request, *args, **kwargs):
        data = WorkgroupInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        workgroup = services.workgroup_create(creator=request.user, **values)
        context = {"request": request, "membership": selectors.membership_of(user=request.user, workgroup=workgroup)}
        return Response(WorkgroupDetailOutput(workgroup, context=context).data, status=status.HTTP_201_CREATED)


class WorkgroupDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WorkgroupDetailOutput)
    def get(self, request, slug):
        workgroup = _get(request, slug)
        context = {"request": request, "membership": selectors.membership_of(user=request.user, workgroup=workgroup)}
        return Response(WorkgroupDetailOutput(workgroup, context=context).data)

    @extend_schema(request=WorkgroupInput(partial=True), responses=WorkgroupDetailOutput)
    def patch(self, request, slug):
        workgroup = _get(request, slug)
        if not selectors.can(request.user, permissions.MANAGE, workgroup):
            raise PermissionDenied("Only the group's owners can change it.")
        data = WorkgroupInput(data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        workgroup = services.workgroup_update(
            actor=request.user, workgroup=workgroup, fields=values.pop("fields", None), organisations=values.pop("organisations", None), **values
        )
        return self.get(request, workgroup.slug)


class JoinApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=inline_serializer("JoinRequest", {"message": serializers.CharField(required=False, max_length=1000)}),
        responses=inline_serializer("JoinStatus", {"status": serializers.CharField()}),
    )
    def post(self, request, slug):
        workgroup = _get(request, slug)
        message = request.data.get("message", "") if isinstance(request.data, dict) else ""
        if not isinstance(message, str) or len(message) > 1000:
            raise ValidationError({"message": ["Text of at most 1,000 characters."]})
        membership = services.workgroup_join(actor=request.user, workgroup=workgroup, message=message)
        return Response({"status": membership.status})


class LeaveApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=inline_serializer("LeaveStatus", {"status": serializers.CharField()}))
    def post(self, request, slug):
        workgroup = _get(request, slug)
        services.workgroup_leave(actor=request.user, workgroup=workgroup)
        return Response({"status": "left"})


class InvitationApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=inline_serializer("Invitation", {"user": serializers.IntegerField(required=False), "email": serializers.EmailField(required=False)}),
        responses={201: inline_serializer("Invited", {"status": serializers.CharField(), "user": serializers.IntegerField(allow_null=True)})},
    )
    def post(self, request, slug):
        workgroup = _get(request, slug)
        if not selectors.can(request.user, permissions.MODERATE, workgroup):
            if not selectors.can_read_content(request.user, workgroup):
                raise Http404
            raise PermissionDenied("Only the group's moderators invite people.")
        data = request.data if isinstance(request.data, dict) else {}
        if "user" in data:
            try:
                user = User.objects.get(pk=int(data["user"]), is_active=True)
            except (User.DoesNotExist, TypeError, ValueError):
                raise ValidationError({"user": ["No active user with this id."]}) from None
            membership = services.invite_user(actor=request.user, workgroup=workgroup, user=user)
            return Response({"status": membership.status, "user": user.pk}, status=status.HTTP_201_CREATED)
        if "email" in data:
            result = services.invite_email(actor=request.user, workgroup=workgroup, email=str(data["email"]))
            if isinstance(result, Membership):
                return Response({"status": result.status, "user": result.user_id}, status=status.HTTP_201_CREATED)
            return Response({"status": "emailed", "user": None}, status=status.HTTP_201_CREATED)
        raise ValidationError({"detail": "Give a user id or an email address."})


class MemberListApi(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = MemberOutput

    def get_queryset(self):
        workgroup = selectors.content_or_404(user=self.request.user, slug=self.kwargs["slug"])
        return selectors.members_visible(user=self.request.user, workgroup=workgroup)


class MemberDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=inline_serializer("RoleChange", {"role": serializers.ChoiceField(choices=Membership.Role.choices)}), responses=MemberOutput)
    def patch(self, request, slug, user_id):
        workgroup = selectors.content_or_404(user=request.user, slug=slug)
        role = request.data.get("role") if isinstance(request.data, dict) else None
        membership = services.membership_set_role(actor=request.user, workgroup=workgroup, user_id=user_id, role=role)
        return Response(MemberOutput(membership).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, slug, user_id):
        """Removes a member, declines a request or withdraws an invitation (moderators); leaves (oneself)."""
        workgroup = selectors.workgroup_get_visible(user=request.user, slug=slug)
        if user_id != request.user.pk and not selectors.can_read_content(request.user, workgroup):
            raise Http404
        services.membership_remove(actor=request.user, workgroup=workgroup, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberApproveApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=MemberOutput)
    def post(self, request, slug, user_id):
        workgroup = selectors.content_or_404(user=request.user, slug=slug)
        membership = services.membership_approve(actor=request.user, workgroup=workgroup, user_id=user_id)
        return Response(MemberOutput(membership).data)
