from django.urls import path

from partnerships.views import calls, responses

app_name = "partnerships"

urlpatterns = [
    path("calls/", calls.call_list, name="call-list"),
    path("calls/for-you/", calls.calls_for_you, name="calls-for-you"),
    path("calls/mine/", calls.my_calls, name="my-calls"),
    path("calls/new/", calls.call_create, name="call-create"),
    path("calls/saved/", calls.saved_searches, name="saved-searches"),
    path("calls/<int:pk>/", calls.call_detail, name="call-detail"),
    path("calls/<int:pk>/edit/", calls.call_edit, name="call-edit"),
    path("calls/<int:pk>/lifecycle/", calls.call_lifecycle, name="call-lifecycle"),
    path("calls/<int:pk>/respond/", responses.respond, name="call-respond"),
    path("calls/<int:pk>/board/", responses.board, name="call-board"),
    path("calls/<int:pk>/responses/<int:rid>/move/", responses.move, name="response-move"),
    path("partnerships/", responses.partnerships, name="partnerships"),
]
