"""calls/, partnerships/, saved-searches/: partnership calls and the response workflow (issue 5).

Reads go through `partnerships.selectors` with one `Viewer` per request;
writes through `partnerships.services`, whose refusals the project's
exception handler turns into 400 (ServiceError), 409 (Conflict) and 403
(NotAllowed). A call the user may not see is 404, like a missing one.
"""

from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from community.errors import Conflict, NotAllowed
from community.models import Organisation
from partnerships import models, selectors, services
from partnerships.models import Call, SavedSearch
from partnerships.serializers import (
    LIST_STATUSES,
    CallInput,
    CallOutput,
    PartnershipOutput,
    PartnershipShowInput,
    RenewInput,
    ResponseInput,
    ResponseMoveInput,
    ResponseOutput,
    SavedSearchInput,
    SavedSearchOutput,
    parse_call_query,
)

S = Call.Status


def viewer_of(request) -> selectors.Viewer:
    """One Viewer per request: its sets (organisations, managed ones, accepted calls) are read once."""
    viewer = getattr(request, "_partnerships_viewer", None)
    if viewer is None:
        viewer = request._partnerships_viewer = selectors.Viewer(request.user)
    return viewer


def _call(request, pk) -> Call:
    return selectors.call_get_visible(viewer_of(request), pk)


def _detail(request, call: Call, *, status_code=status.HTTP_200_OK) -> Response:
    call = (
        selectors.call_cards(Call.objects.filter(pk=call.pk))
        .defer(None)
        .select_related("organisation")
        .prefetch_related("workgroups")
        .get()
    )
    return Response(
        CallOutput(call, context={"viewer": viewer_of(request), "detail": True}).data,
        status=status_code,
    )


def _with_workgroups(viewer: selectors.Viewer, qs):
    """Managers read the groups a call addresses: prefetched, so a list costs the same for any length."""
    from workgroups.models import Workgroup

    if viewer.managed_ids or viewer.user.is_superuser:
        return qs.prefetch_related(
            Prefetch("workgroups", queryset=Workgroup.objects.only("id", "slug"))
        )
    return qs


def _require_manager(request, call: Call) -> None:
    """403 for a person who sees the call but does not manage it (before reading their input)."""
    if not viewer_of(request).manages(call):
        raise PermissionDenied(
            _("Only the organisation's admins, and the members they allow, manage its calls.")
        )


STATUS_DOC = (
    "Without it: every call you may see (published, closed and expired ones; drafts and calls waiting for review "
    "of the organisations you manage calls for). `open`: published and before the deadline. Repeated or comma-separated."
)
LIST_PARAMETERS = [
    OpenApiParameter(
        "search",
        OpenApiTypes.STR,
        description="Words in the title, summary, description, topic, kind, stages, fields and countries; an anonymous call is never found by its organisation's name. Case- and accent-insensitive.",
    ),
    OpenApiParameter(
        "kind",
        OpenApiTypes.STR,
        description=f"Call kinds ({', '.join(Call.Kind.values)}), repeated or comma-separated.",
    ),
    OpenApiParameter(
        "stage",
        OpenApiTypes.STR,
        description="Stage slugs (see taxonomy/), repeated or comma-separated.",
    ),
    OpenApiParameter(
        "field",
        OpenApiTypes.STR,
        description="Field slugs (see taxonomy/), repeated or comma-separated.",
    ),
    OpenApiParameter(
        "country",
        OpenApiTypes.STR,
        description="ISO 3166-1 alpha-2 codes: calls seeking partners there (a call seeking all of Europe matches every country).",
    ),
]


class CallListCreateApi(ListAPIView):
    """Partnership calls this user may see; creating one."""

    permission_classes = [IsAuthenticated]
    serializer_class = CallOutput

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "viewer": viewer_of(self.request)}

    def get_queryset(self):
        viewer = viewer_of(self.request)
        query, statuses, order, organisation = parse_call_query(self.request.query_params)
        qs = selectors.calls_visible(viewer)
        if statuses:
            rule = Q(status__in=[s for s in statuses if s != "open"])
            if "open" in statuses:
                rule |= Q(status=S.PUBLISHED, deadline__gt=timezone.now())
            qs = qs.filter(rule)
        qs = selectors._filtered(qs, query)  # the list's own filters, without its fixed states
        if organisation:
            # Named calls of that organisation; its anonymous ones only for those who may know the name.
            qs = qs.filter(organisation__slug=organisation).filter(
                Q(anonymous=False)
                | Q(organisation_id__in=viewer.organisation_ids)
                | Q(pk__in=viewer.accepted_call_ids)
            )
        if order == "deadline" or (not order and statuses == ["open"]):
            qs = qs.order_by("deadline", "pk")
        else:
            qs = qs.order_by("-created_at", "-pk")
        return _with_workgroups(viewer, selectors.call_cards(qs))

    @extend_schema(
        parameters=[
            *LIST_PARAMETERS,
            OpenApiParameter(
                "status", OpenApiTypes.STR, description=STATUS_DOC, enum=LIST_STATUSES
            ),
            OpenApiParameter(
                "organisation",
                OpenApiTypes.STR,
                description="An organisation's slug: its calls (anonymous ones only if you may know whose they are).",
            ),
            OpenApiParameter(
                "order",
                OpenApiTypes.STR,
                enum=["newest", "deadline"],
                description="Default: newest first; soonest deadline first with `status=open`.",
            ),
        ],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=CallInput,
        responses={
            201: CallOutput,
            400: OpenApiResponse(description="Invalid input"),
            403: OpenApiResponse(description="Not a manager of the organisation's calls"),
        },
    )
    def post(self, request, *args, **kwargs):
        """Creates a call: the organisation's admins, or the members they allow to publish."""
        data = CallInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        publish = values.pop("status") == S.PUBLISHED
        call = services.call_create(actor=request.user, publish=publish, **values)
        return _detail(request, call, status_code=status.HTTP_201_CREATED)


class CallFacetsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            *LIST_PARAMETERS,
            OpenApiParameter(
                "state",
                OpenApiTypes.STR,
                enum=["open", "closed", "all"],
                description="`open` (the default): open calls; `closed`: closed or past the deadline; `all`: published, closed and expired.",
            ),
        ],
        responses=inline_serializer(
            "CallFacets",
            {
                "kind": serializers.ListField(child=serializers.DictField()),
                "stage": serializers.ListField(child=serializers.DictField()),
                "field": serializers.ListField(child=serializers.DictField()),
                "country": serializers.ListField(child=serializers.DictField()),
                "all_europe": serializers.IntegerField(
                    help_text="Calls seeking all of Europe, counted under every country."
                ),
            },
        ),
    )
    def get(self, request):
        """Counts per kind, stage, field and country (`value` a slug or ISO code, `label`, `count`, `selected`), each counted under every other filter."""
        query, _statuses, _order, _organisation = parse_call_query(request.query_params)
        state = request.query_params.get("state") or "open"
        if state not in ("open", "closed", "all"):
            raise ValidationError({"state": [_("One of: open, closed, all.")]})
        query.state = state
        return Response(selectors.call_facets(viewer_of(request), query))


class CallsForYouApi(ListAPIView):
    """Open calls matched to one of your organisations (fields, stages, country), best first."""

    permission_classes = [IsAuthenticated]
    serializer_class = CallOutput

    def get_queryset(self):  # the schema's; `list` reads through selectors.calls_for_you
        return Call.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "organisation",
                OpenApiTypes.STR,
                description="The slug of one of your organisations; default: the one where you are an admin, else your first.",
            )
        ]
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        viewer = viewer_of(request)
        organisation = None
        slug = request.query_params.get("organisation")
        if slug:
            organisation = Organisation.objects.filter(
                slug=slug[:100], pk__in=viewer.organisation_ids
            ).first()
            if organisation is None:
                raise ValidationError({"organisation": [_("Not one of your organisations.")]})
        paginator = self.paginator
        size = paginator.get_page_size(request)
        raw = request.query_params.get(paginator.page_query_param, "1")
        try:
            number = int(raw)
            if number < 1:
                raise ValueError
        except ValueError:
            raise NotFound(
                paginator.invalid_page_message % {"page_number": str(raw)[:20], "message": ""}
            ) from None
        matches, total = selectors.calls_for_you(
            viewer, organisation=organisation, limit=size, offset=(number - 1) * size
        )
        if number > 1 and not matches:
            raise NotFound(paginator.invalid_page_message % {"page_number": number, "message": ""})
        if viewer.managed_ids or viewer.user.is_superuser:
            from django.db.models import prefetch_related_objects

            prefetch_related_objects([m.call for m in matches], "workgroups")
        url = request.build_absolute_uri()
        return Response(
            {
                "count": total,
                "next": replace_query_param(url, paginator.page_query_param, number + 1)
                if number * size < total
                else None,
                "previous": None
                if number == 1
                else (
                    remove_query_param(url, paginator.page_query_param)
                    if number == 2
                    else replace_query_param(url, paginator.page_query_param, number - 1)
                ),
                "results": CallOutput(matches, many=True, context={"viewer": viewer}).data,
            }
        )


class CallDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            200: CallOutput,
            404: OpenApiResponse(description="Missing, or not yours to see"),
        }
    )
    def get(self, request, pk):
        return _detail(request, _call(request, pk))

    @extend_schema(
        request=CallInput(partial=True),
        responses={
            200: CallOutput,
            403: OpenApiResponse(description="Not a manager"),
            409: OpenApiResponse(
                description="Closed or expired: renew it first; or a status change the call's state forbids"
            ),
        },
    )
    def patch(self, request, pk):
        """Changes a call (its managers). `status`: `published` publishes a draft, `closed` closes a published call."""
        call = _call(request, pk)
        _require_manager(request, call)
        data = CallInput(data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organisation = values.pop("organisation", None)
        if organisation is not None and organisation.pk != call.organisation_id:
            raise ValidationError({"organisation": [_("A call stays with its organisation.")]})
        target = values.pop("status", None)
        if (
            "questions" in values
            and [q.strip() for q in values["questions"] if q.strip()] == call.questions
        ):
            # A form sends every field back: unchanged questions are no change (the service refuses any once answered).
            values.pop("questions")
        with transaction.atomic():
            if values:
                links = {
                    name: values.pop(name, None)
                    for name in ("stages", "fields", "countries", "workgroups")
                }
                call = services.call_update(actor=request.user, call=call, **links, **values)
            if target and target != call.status:
                if target == S.PUBLISHED:
                    call = services.call_publish(actor=request.user, call=call)
                elif target == S.CLOSED:
                    call = services.call_close(actor=request.user, call=call)
                else:
                    raise Conflict(
                        _("A call does not go back to draft: close it, or delete a draft.")
                    )
        return _detail(request, call)

    @extend_schema(
        responses={
            204: None,
            403: OpenApiResponse(description="Not a manager"),
            409: OpenApiResponse(description="Not a draft: close it instead"),
        }
    )
    def delete(self, request, pk):
        """Deletes a draft (published calls are closed, not deleted)."""
        services.call_delete(actor=request.user, call=_call(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CallPublishApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: CallOutput,
            403: OpenApiResponse(description="Not a manager"),
            409: OpenApiResponse(description="Not a draft"),
        },
    )
    def post(self, request, pk):
        """Publishes a draft (or sends it for review when the platform reviews calls first)."""
        return _detail(request, services.call_publish(actor=request.user, call=_call(request, pk)))


class CallCloseApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: CallOutput,
            403: OpenApiResponse(description="Not a manager"),
            409: OpenApiResponse(description="Not published"),
        },
    )
    def post(self, request, pk):
        """Stops taking responses; decisions on the responses go on."""
        return _detail(request, services.call_close(actor=request.user, call=_call(request, pk)))


class CallRenewApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=RenewInput,
        responses={
            200: CallOutput,
            403: OpenApiResponse(description="Not a manager"),
            409: OpenApiResponse(description="Not closed or expired"),
        },
    )
    def post(self, request, pk):
        """Publishes a closed or expired call again with a new deadline; its responses stay."""
        call = _call(request, pk)
        _require_manager(request, call)
        data = RenewInput(data=request.data)
        data.is_valid(raise_exception=True)
        return _detail(
            request,
            services.call_renew(
                actor=request.user, call=call, deadline=data.validated_data["deadline"]
            ),
        )


# Responses


def _responses(viewer: selectors.Viewer, call: Call):
    qs = selectors.responses_visible(viewer, call)
    if viewer.manages(call):
        qs = qs.prefetch_related(
            Prefetch("events", queryset=models.ResponseEvent.objects.order_by("created_at", "id"))
        )
    return qs


def _response_payload(request, call: Call, response) -> dict:
    viewer = viewer_of(request)
    if viewer.manages(call):
        response = _responses(viewer, call).get(pk=response.pk)
    return ResponseOutput(
        response, context={"viewer": viewer, "manages": viewer.manages(call)}
    ).data


class ResponseListCreateApi(ListAPIView):
    """A call's responses: its managers see all, a responding organisation's people their own."""

    permission_classes = [IsAuthenticated]
    serializer_class = ResponseOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return models.Response.objects.none()
        call = _call(self.request, self.kwargs["pk"])
        self.call = call
        return _responses(viewer_of(self.request), call)

    def get_serializer_context(self):
        context = {**super().get_serializer_context(), "viewer": viewer_of(self.request)}
        call = getattr(self, "call", None)
        context["manages"] = bool(call and viewer_of(self.request).manages(call))
        return context

    @extend_schema(
        responses={
            200: ResponseOutput(many=True),
            404: OpenApiResponse(description="A call you may not see"),
        }
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=ResponseInput,
        responses={
            201: ResponseOutput,
            403: OpenApiResponse(description="Not a member of that organisation"),
            404: OpenApiResponse(description="A call you may not see"),
            409: OpenApiResponse(
                description="Not published, past its deadline, or your organisation responded already"
            ),
        },
    )
    def post(self, request, pk):
        """Responds on behalf of one of your organisations, once per call."""
        call = _call(request, pk)
        data = ResponseInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organisation = values.get("organisation")
        if organisation is None:
            mine = list(Organisation.objects.filter(pk__in=viewer_of(request).organisation_ids)[:2])
            if not mine:
                raise NotAllowed(_("You can respond only for an organisation you belong to."))
            if len(mine) > 1:
                raise ValidationError(
                    {
                        "organisation": [
                            _("You belong to several organisations: say which one responds.")
                        ]
                    }
                )
            organisation = mine[0]
        response = services.response_create(
            actor=request.user,
            call=call,
            organisation=organisation,
            message=values["message"],
            answers=values.get("answers"),
        )
        return Response(_response_payload(request, call, response), status=status.HTTP_201_CREATED)


class ResponseDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: ResponseOutput, 404: OpenApiResponse(description="Not yours to see")}
    )
    def get(self, request, pk, rid):
        call = _call(request, pk)
        response = selectors.response_get_visible(viewer_of(request), call, rid)
        return Response(_response_payload(request, call, response))

    @extend_schema(
        request=ResponseMoveInput,
        responses={
            200: ResponseOutput,
            403: OpenApiResponse(description="You see the response but may not make this move"),
            404: OpenApiResponse(description="Not yours to see"),
            409: OpenApiResponse(description="A move the workflow forbids; `detail` says why"),
        },
    )
    def patch(self, request, pk, rid):
        """Moves a response: the call's managers along the workflow, the responder only to `withdrawn`."""
        call = _call(request, pk)
        response = selectors.response_get_visible(viewer_of(request), call, rid)
        data = ResponseMoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        response = services.response_move(
            actor=request.user,
            response=response,
            status=data.validated_data["status"],
            note=data.validated_data.get("note", ""),
        )
        return Response(_response_payload(request, call, response))


# Partnerships and saved searches


class PartnershipListApi(ListAPIView):
    """The partnerships of your organisations, on either side."""

    permission_classes = [IsAuthenticated]
    serializer_class = PartnershipOutput

    def get_queryset(self):
        return selectors.partnerships_of(viewer_of(self.request)).order_by("-started_on", "-id")


class PartnershipDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    def _get(self, request, pk):
        try:
            return selectors.partnerships_of(viewer_of(request)).get(pk=pk)
        except models.Partnership.DoesNotExist:
            raise Http404 from None

    @extend_schema(responses={200: PartnershipOutput})
    def get(self, request, pk):
        return Response(PartnershipOutput(self._get(request, pk)).data)

    @extend_schema(
        request=PartnershipShowInput,
        responses={
            200: PartnershipOutput,
            403: OpenApiResponse(description="Not an admin of that side"),
        },
    )
    def patch(self, request, pk):
        """An admin of one side shows the partnership on its profile, or stops; it is public once both sides do."""
        partnership = self._get(request, pk)
        data = PartnershipShowInput(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = data.validated_data.get("organisation")
        if organisation is None:
            sides = [
                o
                for o in (partnership.publisher, partnership.partner)
                if o.pk in viewer_of(request).organisation_ids
            ]
            if len(sides) != 1:
                raise ValidationError({"organisation": [_("Say which side you speak for.")]})
            organisation = sides[0]
        partnership = services.partnership_show(
            actor=request.user,
            partnership=partnership,
            organisation=organisation,
            shown=data.validated_data["shown"],
        )
        return Response(PartnershipOutput(self._get(request, partnership.pk)).data)


class SavedSearchListCreateApi(ListAPIView):
    """Your saved call searches; you are notified of new calls matching those with `notify`."""

    permission_classes = [IsAuthenticated]
    serializer_class = SavedSearchOutput

    def get_queryset(self):
        return SavedSearch.objects.filter(user=self.request.user).order_by("name", "id")

    @extend_schema(
        request=SavedSearchInput,
        responses={
            201: SavedSearchOutput,
            409: OpenApiResponse(description="Too many saved searches"),
        },
    )
    def post(self, request):
        data = SavedSearchInput(data=request.data)
        data.is_valid(raise_exception=True)
        saved = services.saved_search_create(actor=request.user, **data.validated_data)
        return Response(SavedSearchOutput(saved).data, status=status.HTTP_201_CREATED)


class SavedSearchDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses={204: None, 404: OpenApiResponse(description="Not yours")}
    )
    def delete(self, request, pk):
        saved = SavedSearch.objects.filter(user=request.user, pk=pk).first()
        if saved is None:
            raise Http404
        services.saved_search_delete(actor=request.user, saved=saved)
        return Response(status=status.HTTP_204_NO_CONTENT)
