from django.urls import include, path

from workgroups.views import groups

app_name = "workgroups"

group = "groups/<slug:slug>/"

urlpatterns = [
    path("groups/", groups.group_list, name="list"),
    path("groups/mine/", groups.my_groups, name="mine"),
    path("groups/new/", groups.group_create, name="create"),
    path("groups/invitations/<str:token>/", groups.invitation_landing, name="invitation"),
    path(group, groups.group_detail, name="detail"),
    path(group + "edit/", groups.group_edit, name="edit"),
    path(group + "join/", groups.group_join, name="join"),
    path(group + "leave/", groups.group_leave, name="leave"),
    path(group + "members/", groups.group_members, name="members"),
    path(group + "members/<int:user_id>/<str:action>/", groups.member_action, name="member-action"),
    path(group + "invite/", groups.group_invite, name="invite"),
    path(group + "announce/", groups.group_announce, name="announce"),
    path(group + "chat/", groups.group_chat, name="chat"),
    path(group + "discussions/", include("workgroups.urls_threads")),
    path(group + "documents/", include("workgroups.urls_documents")),
    path(group + "meetings/", include("workgroups.urls_meetings")),
]
