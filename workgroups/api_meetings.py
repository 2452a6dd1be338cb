"""Meetings in the API: /api/v1/workgroups/<slug>/meetings/, answers and .ics files.

Times are read and written as ISO 8601. `starts_at` and `ends_at` come back
in UTC; `*_local` give the same instants in the meeting's own `time_zone`.
A time written without an offset is a wall-clock time in `time_zone`; one
with an offset is that instant. 404 for what the caller may not see, 403 for
what they see but may not do (planning, changing and cancelling are for
moderators, answering for active members), 409 for a cancelled or finished
meeting, 401 when not signed in.
"""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import Pagination
from workgroups import ics, meetings, permissions, selectors
from workgroups.api_documents import DocumentPersonOutput
from workgroups.models import Attendance, Meeting, Workgroup
from workgroups.views.meetings import calendar_response

UTC = dt.UTC
WHEN = ("upcoming", "past", "all")

# Output


class AnswersOutput(serializers.Serializer):
    yes = serializers.IntegerField(source="yes_count")
    maybe = serializers.IntegerField(source="maybe_count")
    no = serializers.IntegerField(source="no_count")


class MeetingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField(default_timezone=UTC, help_text="In UTC.")
    ends_at = serializers.DateTimeField(default_timezone=UTC, help_text="In UTC.")
    time_zone = serializers.CharField(
        help_text="The IANA time zone the meeting was planned in, e.g. Europe/Lisbon."
    )
    starts_at_local = serializers.SerializerMethodField(
        help_text="The start in the meeting's time zone, with its offset."
    )
    ends_at_local = serializers.SerializerMethodField(
        help_text="The end in the meeting's time zone, with its offset."
    )
    place = serializers.CharField()
    link = serializers.CharField(help_text="The online link, or empty.")
    agenda = serializers.CharField(help_text="Markdown, as written.")
    agenda_html = serializers.CharField(help_text="The agenda rendered to sanitized HTML.")
    cancelled = serializers.SerializerMethodField()
    cancelled_at = serializers.DateTimeField(default_timezone=UTC, allow_null=True)
    sequence = serializers.IntegerField(help_text="Grows with every change: the .ics SEQUENCE.")
    created_by = DocumentPersonOutput(allow_null=True)
    created_at = serializers.DateTimeField(default_timezone=UTC)
    answers = AnswersOutput(
        source="*", help_text="How many active members answered yes, maybe and no."
    )
    my_response = serializers.CharField(
        allow_null=True, help_text="The caller's answer: yes, maybe, no, or null."
    )
    url = serializers.SerializerMethodField(help_text="The meeting's page on the site.")
    ics = serializers.SerializerMethodField(help_text="The API address of its .ics file.")

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_starts_at_local(self, meeting) -> str:
        return meetings.local(meeting.starts_at, meeting.time_zone).isoformat()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_ends_at_local(self, meeting) -> str:
        return meetings.local(meeting.ends_at, meeting.time_zone).isoformat()

    def get_cancelled(self, meeting) -> bool:
        return meeting.cancelled_at is not None

    def get_url(self, meeting) -> str:
        meeting.workgroup = self.context["workgroup"]
        return self.context["request"].build_absolute_uri(meetings.meeting_url(meeting))

    def get_ics(self, meeting) -> str:
        path = reverse(
            "api-workgroup-meeting-ics",
            kwargs={"slug": self.context["workgroup"].slug, "meeting_id": meeting.pk},
        )
        return self.context["request"].build_absolute_uri(path)


class AttendanceOutput(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.__str__")
    response = serializers.ChoiceField(choices=Attendance.Response.choices)
    updated_at = serializers.DateTimeField(default_timezone=UTC)


# Input


class WallClockDateTimeField(serializers.DateTimeField):
    """Keeps a time without offset naive: the service reads it in the meeting's time zone."""

    def enforce_timezone(self, value):
        return value.astimezone(UTC) if timezone.is_aware(value) else value


class MeetingInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    starts_at = WallClockDateTimeField(
        help_text="ISO 8601; without an offset, a wall-clock time in `time_zone`."
    )
    ends_at = WallClockDateTimeField(help_text="After `starts_at`, at most 14 days later.")
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        help_text="An IANA time zone such as Europe/Lisbon. Default: the caller's.",
    )
    place = serializers.CharField(max_length=300, required=False, allow_blank=True)
    link = serializers.URLField(
        max_length=500, required=False, allow_blank=True, help_text="http or https."
    )
    agenda = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True, help_text="Markdown."
    )

    def validate_time_zone(self, value):
        if value not in meetings.all_time_zones():
            raise ValidationError(_("Unknown time zone: %(zone)s.") % {"zone": value[:64]})
        return value


class AttendanceInput(serializers.Serializer):
    response = serializers.ChoiceField(choices=Attendance.Response.choices)


# Helpers


class CalendarRenderer(BaseRenderer):
    """Lets a client ask for text/calendar; errors still come back as JSON."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


def _group(request, slug) -> Workgroup:
    return selectors.content_or_404(user=request.user, slug=slug)


def _context(request, workgroup) -> dict:
    return {"request": request, "workgroup": workgroup}


def _require_moderator(request, workgroup, message: str) -> None:
    if not selectors.can(request.user, permissions.MODERATE, workgroup):
        raise PermissionDenied(message)


def _fresh(request, workgroup, meeting_id) -> Meeting:
    return meetings.meeting_get_visible(
        user=request.user, workgroup=workgroup, meeting_id=meeting_id
    )


CONFLICT = OpenApiResponse(description="The meeting is cancelled or over.")
ICS = {
    (200, "text/calendar"): OpenApiResponse(
        OpenApiTypes.STR, description="An iCalendar file (RFC 5545)."
    )
}


# Views


class MeetingListCreateApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "when",
                OpenApiTypes.STR,
                enum=list(WHEN),
                description="upcoming (default: not yet over, soonest first), past (latest first) or all (by start).",
            )
        ],
        responses=MeetingOutput(many=True),
        summary="The group's meetings",
    )
    def get(self, request, slug):
        workgroup = _group(request, slug)
        when = request.query_params.get("when", "upcoming")
        if when not in WHEN:
            raise ValidationError({"when": [_("One of: upcoming, past, all.")]})
        qs = meetings.meetings_visible(user=request.user, workgroup=workgroup)
        qs = {"upcoming": meetings.upcoming, "past": meetings.past}.get(
            when, lambda q: q.order_by("starts_at", "pk")
        )(qs)
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(
            MeetingOutput(page, many=True, context=_context(request, workgroup)).data
        )

    @extend_schema(
        request=MeetingInput, responses={201: MeetingOutput}, summary="Plan a meeting (moderators)"
    )
    def post(self, request, slug):
        workgroup = _group(request, slug)
        _require_moderator(request, workgroup, _("Only the group's moderators plan meetings."))
        data = MeetingInput(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = meetings.meeting_create(
            actor=request.user, workgroup=workgroup, **data.validated_data
        )
        meeting = _fresh(request, workgroup, meeting.pk)
        return Response(
            MeetingOutput(meeting, context=_context(request, workgroup)).data,
            status=status.HTTP_201_CREATED,
        )


class MeetingDetailApi(APIView):
    @extend_schema(responses=MeetingOutput)
    def get(self, request, slug, meeting_id):
        workgroup = _group(request, slug)
        meeting = _fresh(request, workgroup, meeting_id)
        return Response(MeetingOutput(meeting, context=_context(request, workgroup)).data)

    @extend_schema(
        request=MeetingInput(partial=True),
        responses={200: MeetingOutput, 409: CONFLICT},
        summary="Change a meeting (moderators)",
    )
    def patch(self, request, slug, meeting_id):
        workgroup = _group(request, slug)
        meeting = _fresh(request, workgroup, meeting_id)
        _require_moderator(request, workgroup, _("Only the group's moderators change meetings."))
        data = MeetingInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        meetings.meeting_update(actor=request.user, meeting=meeting, **data.validated_data)
        return self.get(request, slug, meeting_id)


class MeetingCancelApi(APIView):
    @extend_schema(
        request=None,
        responses={200: MeetingOutput, 409: CONFLICT},
        summary="Cancel a meeting (moderators)",
    )
    def post(self, request, slug, meeting_id):
        workgroup = _group(request, slug)
        meeting = _fresh(request, workgroup, meeting_id)
        _require_moderator(request, workgroup, _("Only the group's moderators cancel meetings."))
        meetings.meeting_cancel(actor=request.user, meeting=meeting)
        return Response(
            MeetingOutput(
                _fresh(request, workgroup, meeting_id), context=_context(request, workgroup)
            ).data
        )


class AttendanceApi(APIView):
    @extend_schema(
        responses=AttendanceOutput(many=True), summary="Who answered what (active members)"
    )
    def get(self, request, slug, meeting_id):
        workgroup = _group(request, slug)
        meeting = _fresh(request, workgroup, meeting_id)
        paginator = Pagination()
        page = paginator.paginate_queryset(meetings.attendances_of(meeting), request, view=self)
        return paginator.get_paginated_response(AttendanceOutput(page, many=True).data)

    @extend_schema(
        request=AttendanceInput,
        responses={200: MeetingOutput, 409: CONFLICT},
        summary="Say whether I attend (active members); a new answer replaces the old",
    )
    def post(self, request, slug, meeting_id):
        workgroup = _group(request, slug)
        meeting = _fresh(request, workgroup, meeting_id)
        if not selectors.can(request.user, permissions.PARTICIPATE, workgroup):
            raise PermissionDenied(_("Only the group's members answer meetings."))
        data = AttendanceInput(data=request.data)
        data.is_valid(raise_exception=True)
        meetings.attendance_set(
            actor=request.user, meeting=meeting, response=data.validated_data["response"]
        )
        return Response(
            MeetingOutput(
                _fresh(request, workgroup, meeting_id), context=_context(request, workgroup)
            ).data
        )


class MeetingIcsApi(APIView):
    renderer_classes = [JSONRenderer, CalendarRenderer]

    @extend_schema(
        responses=ICS, summary="The meeting as an .ics file", operation_id="workgroups_meeting_ics"
    )
    def get(self, request, slug, meeting_id):
        workgroup = _group(request, slug)
        meeting = _fresh(request, workgroup, meeting_id)
        return calendar_response(request, [meeting], name="", filename=ics.filename(meeting.title))


class MeetingFeedApi(APIView):
    renderer_classes = [JSONRenderer, CalendarRenderer]

    @extend_schema(
        responses=ICS,
        summary="The group's upcoming meetings (cancelled ones too) as one .ics file",
        operation_id="workgroups_meetings_feed_ics",
    )
    def get(self, request, slug):
        workgroup = _group(request, slug)
        items = list(
            meetings.upcoming(meetings.meetings_visible(user=request.user, workgroup=workgroup))[
                :100
            ]
        )
        for meeting in items:
            meeting.workgroup = workgroup
        return calendar_response(
            request, items, name=workgroup.name, filename=ics.filename(workgroup.name)
        )
