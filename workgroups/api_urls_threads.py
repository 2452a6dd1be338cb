"""API under /api/v1/workgroups/<slug>/threads/."""

from django.urls import path

from workgroups import api_threads as api

urlpatterns = [
    path("", api.ThreadListCreateApi.as_view(), name="api-workgroup-threads"),
    path("<int:thread_id>/", api.ThreadDetailApi.as_view(), name="api-workgroup-thread"),
    path(
        "<int:thread_id>/follow/", api.ThreadFollowApi.as_view(), name="api-workgroup-thread-follow"
    ),
    path(
        "<int:thread_id>/replies/",
        api.ReplyListCreateApi.as_view(),
        name="api-workgroup-thread-replies",
    ),
    path(
        "<int:thread_id>/replies/<int:reply_id>/",
        api.ReplyDetailApi.as_view(),
        name="api-workgroup-thread-reply",
    ),
]
