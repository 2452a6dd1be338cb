"""URLs under /groups/<slug>/meetings/ (names in the "workgroups" namespace)."""

from django.urls import path

from workgroups.views import meetings as views

urlpatterns = [
    path("", views.meeting_list, name="meetings"),
    path("new/", views.meeting_create, name="meeting-create"),
    path("calendar.ics", views.meetings_ics, name="meetings-ics"),
    path("<int:meeting_id>/", views.meeting_detail, name="meeting-detail"),
    path("<int:meeting_id>/edit/", views.meeting_edit, name="meeting-edit"),
    path("<int:meeting_id>/cancel/", views.meeting_cancel, name="meeting-cancel"),
    path("<int:meeting_id>/attendance/", views.meeting_attend, name="meeting-attend"),
    path("<int:meeting_id>/meeting.ics", views.meeting_ics, name="meeting-ics"),
]
