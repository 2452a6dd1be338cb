from django.urls import include, path

from workgroups import api

urlpatterns = [
    path("workgroups/", api.WorkgroupListCreateApi.as_view(), name="api-workgroups"),
    path("workgroups/<slug:slug>/", api.WorkgroupDetailApi.as_view(), name="api-workgroup"),
    path("workgroups/<slug:slug>/join/", api.JoinApi.as_view(), name="api-workgroup-join"),
    path("workgroups/<slug:slug>/leave/", api.LeaveApi.as_view(), name="api-workgroup-leave"),
    path("workgroups/<slug:slug>/invitations/", api.InvitationApi.as_view(), name="api-workgroup-invitations"),
    path("workgroups/<slug:slug>/members/", api.MemberListApi.as_view(), name="api-workgroup-members"),
    path("workgroups/<slug:slug>/members/<int:user_id>/", api.MemberDetailApi.as_view(), name="api-workgroup-member"),
    path("workgroups/<slug:slug>/members/<int:user_id>/approve/", api.MemberApproveApi.as_view(), name="api-workgroup-approve"),
    path("workgroups/<slug:slug>/threads/", include("workgroups.api_urls_threads")),
    path("workgroups/<slug:slug>/documents/", include("workgroups.api_urls_documents")),
    path("workgroups/<slug:slug>/meetings/", include("workgroups.api_urls_meetings")),
]
