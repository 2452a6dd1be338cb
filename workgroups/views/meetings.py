"""Meeting pages: the list (upcoming, then past), plan, edit, cancel, answer, and the .ics files.

Times show in the viewer's own time zone (the middleware activates it), with
the meeting's zone named beside them when it differs.
"""

import datetime as dt

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from community.errors import ServiceError
from community.forms import time_zone_choices
from messaging.views import refusals_shown
from workgroups import ics, meetings, permissions, selectors
from workgroups.models import Attendance, Meeting
from workgroups.views.common import group_context

PAST_PAGE_SIZE = 20
UPCOMING_LIMIT = 100
INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.Field):
    """A wall-clock date and time, kept naive: the meeting's time zone gives it its meaning."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=INPUT_FORMAT)
    formats = (
        INPUT_FORMAT,
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%d/%m/%Y %H:%M",
    )

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        text = str(value).strip()
        for fmt in self.formats:
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
        raise ValidationError(
            _("Enter a date and a time, for example 2026-05-12 10:00."), code="invalid"
        )


class MeetingForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    starts_at = LocalDateTimeField(label=gettext_lazy("Starts"))
    ends_at = LocalDateTimeField(label=gettext_lazy("Ends"))
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone of these times"),
        help_text=gettext_lazy(
            "Everyone sees the meeting in their own time zone, with this one named too."
        ),
    )
    place = forms.CharField(
        label=gettext_lazy("Place"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("An address or a room, for a meeting in person."),
    )
    link = forms.URLField(
        label=gettext_lazy("Online link"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy(
            "The video-call address, for a meeting online. Give a place, a link or both."
        ),
    )
    agenda = forms.CharField(
        label=gettext_lazy("Agenda"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("Markdown: **bold**, _italic_, lists, links."),
    )

    def __init__(self, *args, current_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        choices = time_zone_choices()
        known = {value for value, _label in choices}
        if current_zone and current_zone not in known and current_zone in meetings.all_time_zones():
            choices = [(current_zone, current_zone.replace("_", " ")), *choices]
        self.fields["time_zone"].choices = choices
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = _("In the time zone chosen below.")

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"]
        if value not in meetings.all_time_zones():
            raise ValidationError(_("Choose a time zone from the list."))
        return value

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The meeting must end after it starts."))
        return data


def _initial_for(meeting: Meeting) -> dict:
    return {
        "title": meeting.title,
        "starts_at": meetings.local(meeting.starts_at, meeting.time_zone).replace(tzinfo=None),
        "ends_at": meetings.local(meeting.ends_at, meeting.time_zone).replace(tzinfo=None),
        "time_zone": meeting.time_zone,
        "place": meeting.place,
        "link": meeting.link,
        "agenda": meeting.agenda,
    }


def _service_error_to_form(form: forms.Form, exc: Exception) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return
    code = getattr(exc, "code", "")
    field = {
        "title": "title",
        "ends_at": "ends_at",
        "link": "link",
        "time_zone": "time_zone",
        "invalid_time": "starts_at",
    }.get(code)
    form.add_error(
        field, getattr(exc, "message", None) or " ".join(getattr(exc, "messages", [str(exc)]))
    )


def _require_moderator(request, workgroup, message: str) -> None:
    if not selectors.can(request.user, permissions.MODERATE, workgroup):
        raise PermissionDenied(message)


# Pages


@login_required
def meeting_list(request, slug):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    qs = meetings.meetings_visible(user=request.user, workgroup=workgroup)
    context = group_context(request, workgroup, "meetings")
    context.update(
        upcoming=list(meetings.upcoming(qs)[:UPCOMING_LIMIT]),
        past_page=Paginator(meetings.past(qs), PAST_PAGE_SIZE).get_page(request.GET.get("page")),
        now=timezone.now(),
    )
    return render(request, "workgroups/meetings/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request, slug):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    _require_moderator(request, workgroup, _("Only the group's moderators plan meetings."))
    form = MeetingForm(
        request.POST or None,
        initial={"time_zone": request.user.time_zone},
        current_zone=request.user.time_zone,
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = meetings.meeting_create(
                actor=request.user, workgroup=workgroup, **form.cleaned_data
            )
        except (ServiceError, ValidationError) as exc:
            _service_error_to_form(form, exc)
        else:
            flash.success(request, _("The meeting is planned and the members were told."))
            return redirect("workgroups:meeting-detail", slug=workgroup.slug, meeting_id=meeting.pk)
    context = group_context(request, workgroup, "meetings")
    context.update(form=form, creating=True)
    return render(
        request, "workgroups/meetings/form.html", context, status=400 if form.errors else 200
    )


@login_required
def meeting_detail(request, slug, meeting_id):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    meeting = meetings.meeting_get_visible(
        user=request.user, workgroup=workgroup, meeting_id=meeting_id
    )
    context = group_context(request, workgroup, "meetings")
    context.update(
        meeting=meeting,
        attendees=meetings.attendees(meeting),
        is_over=meetings.is_over(meeting),
        responses=Attendance.Response.choices,
    )
    return render(request, "workgroups/meetings/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request, slug, meeting_id):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    meeting = meetings.meeting_get_visible(
        user=request.user, workgroup=workgroup, meeting_id=meeting_id
    )
    _require_moderator(request, workgroup, _("Only the group's moderators change meetings."))
    if meeting.cancelled_at is not None:
        flash.error(request, _("This meeting is cancelled; plan a new one instead."))
        return redirect("workgroups:meeting-detail", slug=workgroup.slug, meeting_id=meeting.pk)
    form = MeetingForm(
        request.POST or None, initial=_initial_for(meeting), current_zone=meeting.time_zone
    )
    if request.method == "POST" and form.is_valid():
        try:
            meetings.meeting_update(actor=request.user, meeting=meeting, **form.cleaned_data)
        except (ServiceError, ValidationError) as exc:
            _service_error_to_form(form, exc)
        else:
            flash.success(
                request,
                _("Saved. Members who imported the meeting get the change with the .ics file."),
            )
            return redirect("workgroups:meeting-detail", slug=workgroup.slug, meeting_id=meeting.pk)
    context = group_context(request, workgroup, "meetings")
    context.update(form=form, meeting=meeting, creating=False)
    return render(
        request, "workgroups/meetings/form.html", context, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_cancel(request, slug, meeting_id):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    meeting = meetings.meeting_get_visible(
        user=request.user, workgroup=workgroup, meeting_id=meeting_id
    )
    _require_moderator(request, workgroup, _("Only the group's moderators cancel meetings."))
    if request.method == "POST":
        with refusals_shown(request) as outcome:
            meetings.meeting_cancel(actor=request.user, meeting=meeting)
        if not outcome.refused:
            flash.success(request, _("The meeting is cancelled and the members were told."))
        return redirect("workgroups:meeting-detail", slug=workgroup.slug, meeting_id=meeting.pk)
    context = group_context(request, workgroup, "meetings")
    context.update(meeting=meeting)
    return render(request, "workgroups/meetings/cancel.html", context)


@login_required
@require_POST
def meeting_attend(request, slug, meeting_id):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    meeting = meetings.meeting_get_visible(
        user=request.user, workgroup=workgroup, meeting_id=meeting_id
    )
    if not selectors.can(request.user, permissions.PARTICIPATE, workgroup):
        raise PermissionDenied(_("Only the group's members answer meetings."))
    with refusals_shown(request) as outcome:
        attendance = meetings.attendance_set(
            actor=request.user, meeting=meeting, response=request.POST.get("response", "")
        )
    if not outcome.refused:
        flash.success(
            request,
            _("Your answer is saved: %(answer)s.") % {"answer": attendance.get_response_display()},
        )
    return redirect("workgroups:meeting-detail", slug=workgroup.slug, meeting_id=meeting.pk)


# Calendar files


def calendar_response(request, items, *, name: str, filename: str) -> HttpResponse:
    def page_url(meeting: Meeting) -> str:
        return request.build_absolute_uri(meetings.meeting_url(meeting))

    response = HttpResponse(
        ics.calendar(items, page_url=page_url, name=name),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def meeting_ics(request, slug, meeting_id):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    meeting = meetings.meeting_get_visible(
        user=request.user, workgroup=workgroup, meeting_id=meeting_id
    )
    return calendar_response(request, [meeting], name="", filename=ics.filename(meeting.title))


@login_required
def meetings_ics(request, slug):
    """The group's coming meetings (cancelled ones too, so calendars drop them) in one file."""
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    items = list(
        meetings.upcoming(meetings.meetings_visible(user=request.user, workgroup=workgroup))[
            :UPCOMING_LIMIT
        ]
    )
    for meeting in items:
        meeting.workgroup = workgroup
    return calendar_response(
        request, items, name=workgroup.name, filename=ics.filename(workgroup.name)
    )
