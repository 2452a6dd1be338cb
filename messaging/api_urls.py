from django.urls import path

from messaging import api

urlpatterns = [
    path("conversations/", api.ConversationListCreateApi.as_view(), name="api-conversations"),
    path("conversations/<int:conversation_id>/", api.ConversationDetailApi.as_view(), name="api-conversation"),
    path("conversations/<int:conversation_id>/messages/", api.MessageListCreateApi.as_view(), name="api-messages"),
    path(
        "conversations/<int:conversation_id>/messages/<int:message_id>/",
        api.MessageDetailApi.as_view(),
        name="api-message",
    ),
    path("conversations/<int:conversation_id>/read/", api.ReadApi.as_view(), name="api-read"),
    path("messages/search/", api.MessageSearchApi.as_view(), name="api-message-search"),
    path("notifications/", api.NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/read/", api.NotificationReadApi.as_view(), name="api-notifications-read"),
    path("notifications/counts/", api.CountsApi.as_view(), name="api-notification-counts"),
]
