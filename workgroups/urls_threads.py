"""URLs under /groups/<slug>/discussions/ (names in the "workgroups" namespace)."""

from django.urls import path

from workgroups.views import threads

thread = "<int:thread_id>/"
reply = thread + "replies/<int:reply_id>/"

urlpatterns = [
    path("", threads.thread_list, name="threads"),
    path("new/", threads.thread_create, name="thread-create"),
    path(thread, threads.thread_detail, name="thread"),
    path(thread + "reply/", threads.thread_reply, name="thread-reply"),
    path(thread + "edit/", threads.thread_edit, name="thread-edit"),
    path(thread + "<slug:action>/", threads.thread_action, name="thread-action"),
    path(reply, threads.reply_link, name="reply"),
    path(reply + "edit/", threads.reply_edit, name="reply-edit"),
    path(reply + "<slug:action>/", threads.reply_action, name="reply-action"),
]
