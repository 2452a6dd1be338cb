"""API under /api/v1/workgroups/<slug>/meetings/."""

from django.urls import path

from workgroups import api_meetings as api

urlpatterns = [
    path("", api.MeetingListCreateApi.as_view(), name="api-workgroup-meetings"),
    path("ics/", api.MeetingFeedApi.as_view(), name="api-workgroup-meetings-ics"),
    path("<int:meeting_id>/", api.MeetingDetailApi.as_view(), name="api-workgroup-meeting"),
    path(
        "<int:meeting_id>/cancel/",
        api.MeetingCancelApi.as_view(),
        name="api-workgroup-meeting-cancel",
    ),
    path(
        "<int:meeting_id>/attendance/",
        api.AttendanceApi.as_view(),
        name="api-workgroup-meeting-attendance",
    ),
    path("<int:meeting_id>/ics/", api.MeetingIcsApi.as_view(), name="api-workgroup-meeting-ics"),
]
